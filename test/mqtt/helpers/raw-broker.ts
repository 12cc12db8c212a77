import type { Test } from 'tap';
import { createServer, type Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';

const PROTOCOL = { protocolVersion: 5 } as const;

/** Sends one MQTT 5 packet on a raw broker's connection. */
export type SendPacket = (packet: Packet) => void;

/**
 * A hand-written MQTT 5 "broker" on a real TCP port, for brokers that answer as no stock one
 * does: it parses what each client sends and leaves every answer to `onPacket`, which must
 * send the CONNACK itself. Closed, with its connections, at the test's end.
 */
export async function rawBroker(t: Test, onPacket: (packet: Packet, send: SendPacket) => void): Promise<{ url: string }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const read = parser(PROTOCOL);
    const send: SendPacket = (packet) => void socket.write(generate(packet, PROTOCOL));
    read.on('packet', (packet) => onPacket(packet, send));
    socket.on('data', (chunk: Buffer) => read.parse(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `mqtt://127.0.0.1:${address.port}` };
}
