import { connect, type Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An MQTT 3.1.1 client speaking packets itself, for what mqtt.js will not do: leave a QoS 2
 * publish unreleased, or read a SUBACK's failures one by one (mqtt.js rejects the whole call).
 */
export interface RawClient {
  socket: Socket;
  /** Every packet the broker sent, in order. */
  got: Packet[];
  send(packet: Packet): void;
  /** Resolves once `check` holds on what came, or throws after 15 s. */
  until(check: (got: Packet[]) => boolean, what: string): Promise<void>;
  /** Subscribes to `filters` in SUBSCRIBEs of 100; how many were granted (the rest: 0x80). */
  granted(filters: string[]): Promise<number>;
}

export async function rawClient(port: number, clientId: string, clean: boolean): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  const got: Packet[] = [];
  const reader = parser({ protocolVersion: 4 });
  reader.on('packet', (p) => got.push(p));
  socket.on('data', (d) => reader.parse(d));
  const send = (p: Packet) => void socket.write(generate(p));
  const until = async (check: (got: Packet[]) => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!check(got)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 0 });
  await until((g) => g.some((p) => p.cmd === 'connack'), 'the CONNACK');
  let messageId = 0;
  const granted = async (filters: string[]) => {
    let n = 0;
    for (let i = 0; i < filters.length; i += 100) {
      const id = ++messageId;
      send({ cmd: 'subscribe', messageId: id, subscriptions: filters.slice(i, i + 100).map((topic) => ({ topic, qos: 0 })) });
      await until((g) => g.some((p) => p.cmd === 'suback' && p.messageId === id), 'the SUBACK');
      const ack = got.find((p) => p.cmd === 'suback' && p.messageId === id) as { granted: Array<number | object> };
      n += ack.granted.filter((q) => q !== 128).length;
    }
    return n;
  };
  return { socket, got, send, until, granted };
}
