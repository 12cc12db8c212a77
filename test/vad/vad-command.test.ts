import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Vad, { type VadCommandResult } from '../../daemon/cli/commands/vad.js';
import { fixturesDir, repoRoot, tempDir } from '../helpers/paths.js';

const wav = join(fixturesDir, 'audio', 'speech-silence-speech.wav');
const truth = JSON.parse(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.json'), 'utf8')) as {
  speech: Array<[number, number]>;
};

/** Runs the command in-process and captures what it prints. */
async function vad(argv: string[]): Promise<{ result: VadCommandResult; stdout: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = (await Vad.run(argv, repoRoot)) as VadCommandResult;
    return { result, stdout };
  } finally {
    process.stdout.write = write;
  }
}

for (const detector of ['silero', 'energy']) {
  t.test(`earshot vad --detector ${detector} --json: two segments within 100 ms of the truth`, async (t) => {
    const { result, stdout } = await vad([wav, '--detector', detector, '--json']);
    t.equal(result.detector, detector);
    t.same(JSON.parse(stdout), result, 'prints the JSON it returns');
    t.equal(result.segments.length, 2);
    result.segments.forEach((s, i) => {
      t.ok(Math.abs(s.startSec - truth.speech[i]![0]) <= 0.1, `start ${s.startSec} vs ${truth.speech[i]![0]}`);
      t.ok(Math.abs(s.endSec - truth.speech[i]![1]) <= 0.1, `end ${s.endSec} vs ${truth.speech[i]![1]}`);
    });
    t.ok(result.keptFraction > 0.5 && result.keptFraction < 0.75, `kept ${result.keptFraction}`);
  });
}

t.test('text output lists segments and the kept fraction', async (t) => {
  const { stdout } = await vad([wav, '--detector', 'energy', '--pad-ms', '0', '--min-silence-ms', '2000']);
  t.match(stdout, /1 segment\(s\), [\d.]+ s of 5\.456 s kept \([\d.]+ %\), detector energy/, 'a 2 s min silence merges both');
});

t.test('raw PCM input and bad flags', async (t) => {
  const raw = join(tempDir(), 'capture.raw');
  const bytes = readFileSync(wav);
  writeFileSync(raw, bytes.subarray(44)); // the fixture is a plain 44-byte-header 16-bit mono WAV
  const { result } = await vad([raw, '--raw', 's16le:16000:1', '--detector', 'energy', '--json']);
  t.equal(result.segments.length, 2);
  await t.rejects(vad([raw, '--raw', 's17le:16000:1']), /--raw: expected ENCODING:RATE:CHANNELS/);
  await t.rejects(vad([wav, '--threshold', '2']), /threshold must be between 0 and 1/);
  await t.rejects(vad([join(tempDir(), 'nope.wav')]), /nope\.wav: cannot open: no such file/);
  // oclif marks the process as failed for each error above; those failures were the point.
  t.equal(process.exitCode, 1);
  process.exitCode = 0;
});
