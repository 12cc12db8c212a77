import t from 'tap';
import { generate } from 'mqtt-packet';
import { PacketOverLimitError, PacketSizeGuard } from '../../../daemon/mqtt/broker/packet-size-guard.js';

/** Feeds `bytes` to a guard in pieces of `step` bytes; resolves with what came out, or the error. */
async function feed(limit: number, bytes: Buffer, step: number): Promise<{ out: Buffer; err: Error | null }> {
  const guard = new PacketSizeGuard(limit);
  const out: Buffer[] = [];
  guard.on('data', (b: Buffer) => out.push(b));
  const err = await new Promise<Error | null>((resolve) => {
    guard.once('error', resolve);
    guard.once('end', () => resolve(null));
    for (let i = 0; i < bytes.length; i += step) guard.write(bytes.subarray(i, i + step));
    guard.end();
  });
  return { out: Buffer.concat(out), err };
}

const publish = (payloadBytes: number) => generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(payloadBytes, 1), qos: 1, messageId: 7, retain: false, dup: false });
const traffic = Buffer.concat([
  generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c', clean: true, keepalive: 30 }),
  publish(10),
  generate({ cmd: 'pingreq' }),
  publish(200), // a 2-byte remaining length
  publish(20_000), // 3 bytes
  generate({ cmd: 'disconnect' }),
]);

t.test('packets within the limit pass unchanged, however the bytes are split', async (t) => {
  for (const step of [1, 2, 3, 7, 64, traffic.length]) {
    const { out, err } = await feed(30_000, traffic, step);
    t.equal(err, null, `no error in pieces of ${step}`);
    t.ok(out.equals(traffic), `every byte passed in pieces of ${step}`);
  }
});

t.test('a packet over the limit fails at its header, whatever came before it', async (t) => {
  for (const step of [1, 5, traffic.length]) {
    const { out, err } = await feed(1_000, traffic, step);
    t.type(err, PacketOverLimitError, `pieces of ${step}`);
    t.match(err, { limit: 1_000, bytes: publish(20_000).length });
    t.ok(out.length < traffic.length - 20_000, 'the big packet was not passed on');
  }
});
