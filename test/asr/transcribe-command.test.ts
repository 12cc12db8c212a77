import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Transcribe, { type TranscribeCommandResult } from '../../daemon/cli/commands/transcribe.js';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { fixturesDir, repoRoot, tempDir } from '../helpers/paths.js';

const wav = join(fixturesDir, 'asr', 'speech-en.wav');
const modelDir = join(fixturesDir, 'asr', 'models', 'nemo-ctc');

/** Runs the command in-process and captures what it prints on stdout and stderr. */
async function transcribe(argv: string[]): Promise<{ result: TranscribeCommandResult; stdout: string; stderr: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const result = (await Transcribe.run(argv, repoRoot)) as TranscribeCommandResult;
    return { result, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

t.test('--provider cuda falls back to CPU with a logged reason and still transcribes', async (t) => {
  const { result, stdout, stderr } = await transcribe([wav, '--model', modelDir, '--provider', 'cuda', '--json']);
  t.equal(result.model.provider, 'cpu');
  t.equal(result.model.fallbacks[0]?.provider, 'cuda');
  t.match(stderr, /WARN .*execution provider cuda failed to initialise.* reason=/, 'the reason is logged');
  t.same(JSON.parse(stdout), result, 'prints the JSON it returns');
  const model = await loadModel(modelDir);
  const direct = await model.transcribe(readWavFile(wav).samples);
  await model.release();
  t.ok(direct.text.length > 0);
  t.equal(result.files[0]!.text, direct.text, 'same text as the engine gives directly');
  t.ok(result.files[0]!.segments[0]!.words.length > 0, 'word timestamps');
});

t.test('--csv and --srt', async (t) => {
  const csv = await transcribe([wav, wav, '--model', modelDir, '--csv']);
  const lines = csv.stdout.trim().split('\n');
  t.equal(lines[0], 'file,start_sec,end_sec,text');
  t.equal(lines.length, 3, 'one row per file segment');
  t.match(lines[1]!, /speech-en\.wav,0\.000,4\.459,/);
  const srt = await transcribe([wav, '--model', modelDir, '--srt']);
  t.match(srt.stdout, /^1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\n\S/);
});

t.test('hotwords file and errors', async (t) => {
  const dir = tempDir();
  const good = join(dir, 'hot.txt');
  writeFileSync(good, '# names\nthe cat :2.0\nfox\n');
  const { result } = await transcribe([wav, '--model', modelDir, '--hotwords', good, '--json']);
  t.ok(result.files[0]!.text.length > 0);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'the cat :lots\n');
  await t.rejects(transcribe([wav, '--model', modelDir, '--hotwords', bad]), /bad\.txt:1: boost "lots" must be a positive number/);
  await t.rejects(transcribe([wav, '--model', join(dir, 'missing')]), /model directory not found/);
  await t.rejects(transcribe([join(dir, 'nope.wav'), '--model', modelDir]), /nope\.wav/);
  // oclif marks the process as failed for each error above; those failures were the point.
  t.equal(process.exitCode, 1);
  process.exitCode = 0;
});

t.test('a file that cannot be decoded is named, and the files after it are still transcribed', async (t) => {
  const dir = tempDir();
  const bad = join(dir, 'not-audio.wav');
  writeFileSync(bad, 'not a recording\n');
  const { result, stdout, stderr } = await transcribe([bad, wav, '--model', modelDir]);
  t.same(result.files.map((f) => f.file), [wav], 'the good file after the bad one was transcribed');
  t.match(stdout, `${wav}: `);
  t.same(result.failures.map((f) => f.file), [bad]);
  t.match(stderr, `could not transcribe ${bad}: `);
  t.match(stderr, /1 of 2 files failed/);
  t.equal(process.exitCode, 1, 'and the exit code says one failed');
  process.exitCode = 0;
  const json = await transcribe([wav, bad, '--model', modelDir, '--json']);
  t.same(json.result.failures.map((f) => f.file), [bad], 'with --json the failures are in the result');
  t.equal(json.result.files.length, 1);
  t.equal(process.exitCode, 1);
  process.exitCode = 0;
});
