import t from 'tap';
import { PcmDecoder } from '../../daemon/audio/pcm-decoder.js';
import { encodePcm } from './make-wav.js';

t.test('extreme values of each encoding map to [-1, 1)', async (t) => {
  const bytes: Array<[ConstructorParameters<typeof PcmDecoder>[0]['encoding'], Buffer, number[]]> = [
    ['u8', Buffer.from([0, 128, 255]), [-1, 0, 127 / 128]],
    ['s8', Buffer.from([0x80, 0, 0x7f]), [-1, 0, 127 / 128]],
    ['s16le', Buffer.from([0x00, 0x80, 0, 0, 0xff, 0x7f]), [-1, 0, 32767 / 32768]],
    ['s24le', Buffer.from([0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), [-1, -1 / 8388608, 8388607 / 8388608]],
  ];
  for (const [encoding, data, expected] of bytes) {
    const out = new PcmDecoder({ encoding, sampleRate: 16000, channels: 1 }).push(data);
    t.same(Array.from(out).map((v) => Number(v.toFixed(7))), expected.map((v) => Number(v.toFixed(7))), encoding);
  }
});

t.test('frames split anywhere across chunks decode the same as whole', async (t) => {
  const format = { encoding: 's24le' as const, sampleRate: 16000, channels: 3 };
  const values = Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) * 0.9);
  const bytes = encodePcm(values, 's24le');
  const whole = new PcmDecoder(format).push(bytes);
  const split = new PcmDecoder(format);
  const parts: number[] = [];
  for (let i = 0; i < bytes.length; i += 7) parts.push(...split.push(bytes.subarray(i, i + 7)));
  t.equal(parts.length, 100);
  t.same(parts, Array.from(whole));
  t.equal(split.pendingBytes, 0);
  const cut = new PcmDecoder(format);
  cut.push(bytes.subarray(0, 10));
  t.equal(cut.pendingBytes, 1, 'a partial frame is held back, not decoded');
});

t.test('channel selection and clear errors', async (t) => {
  const format = { encoding: 'f32le' as const, sampleRate: 16000, channels: 2 };
  const bytes = encodePcm([0.5, -0.25, 0.1, 0.3], 'f32le');
  t.same(Array.from(new PcmDecoder(format, 1).push(bytes)), [-0.25, 0.30000001192092896]);
  t.same(Array.from(new PcmDecoder(format).push(bytes)).map((v) => Number(v.toFixed(6))), [0.125, 0.2]);
  t.throws(() => new PcmDecoder(format, 5), /channel 5 does not exist; the audio has 2 channel\(s\), choose 0\.\.1 or "mix"/);
  t.throws(() => new PcmDecoder({ ...format, channels: 0 }), /channels must be a positive integer/);
});
