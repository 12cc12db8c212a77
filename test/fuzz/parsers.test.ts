import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzFor, mutate, prng } from '../helpers/mutate.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { parseRequest, ControlError } from '../../daemon/control/protocol.js';
import { validateConfig } from '../../daemon/config/load.js';
import { ConfigError } from '../../daemon/config/errors.js';
import { openAudioFile } from '../../daemon/audio/decode-file.js';

/** Seconds per target; CI keeps it short, `FUZZ_SECONDS=600 npx tap test/fuzz` runs longer. */
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 3);

t.test('control requests: any bytes give a request or a ControlError, never a throw', async (t) => {
  const seeds = ['{"id":1,"method":"status","params":{}}', '{"id":"a","method":"jobs.submit","params":{"path":"/x.wav","priority":"batch"}}'].map((s) => Buffer.from(s));
  const n = await fuzzFor(SECONDS, 2000, (seed) => {
    const rand = prng(seed);
    const line = mutate(seeds[seed % seeds.length]!, rand).toString('utf8');
    const parsed = parseRequest(line);
    if (!(parsed instanceof ControlError)) {
      if (typeof parsed.method !== 'string' || (typeof parsed.id !== 'string' && typeof parsed.id !== 'number')) t.fail(`seed ${seed}: bad request accepted: ${line}`);
    }
  });
  t.pass(`${n} mutated requests handled`);
});

/**
 * One config problem: a path of plain names, `[2]` and quoted keys (`["mqtt.url"]`, in which
 * nothing is invisible or a line break), then `: ` and a message on the same line.
 */
const QUOTED_KEY = String.raw`\["(?:[^"\\\p{C}\p{Z}]| |\\.)*"\]`;
const NAME = String.raw`[A-Za-z_$][\w$-]*`;
const ISSUE_LINE = new RegExp(String.raw`^(?:\(root\)|(?:${NAME}|${QUOTED_KEY})(?:\.${NAME}|\[\d+\]|${QUOTED_KEY})*): [^\n]+$`, 'u');

t.test('config: any mutated file is valid or a ConfigError with path: message lines', async (t) => {
  const seed = Buffer.from(JSON.stringify({ siteId: 'lab-1', dataDir: '/var/lib/earshot', control: { socket: '/run/earshot/control.sock' }, mqtt: { url: null, embedded: { host: '127.0.0.1', port: 1883 } }, log: { level: 'info' } }));
  const n = await fuzzFor(SECONDS, 300, (caseSeed) => {
    const text = mutate(seed, prng(caseSeed)).toString('utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return; // not JSON: the loader reports that before validation (tested in config tests)
    }
    try {
      validateConfig(raw, 'fuzz.json');
    } catch (err) {
      if (!(err instanceof ConfigError)) t.fail(`seed ${caseSeed}: ${String(err)} for ${text}`);
      else if (err.lines().some((l) => !ISSUE_LINE.test(l))) t.fail(`seed ${caseSeed}: malformed line in ${err.lines().join(' | ')}`);
    }
  });
  t.pass(`${n} mutated configs handled`);
});

t.test('audio decoder: mutated WAV files decode or fail with an Error naming the file, within a time bound', async (t) => {
  const audioDir = join(fixturesDir, 'audio');
  const seeds = readdirSync(audioDir)
    .filter((f) => f.endsWith('.wav'))
    .map((f) => readFileSync(join(audioDir, f)).subarray(0, 48_000));
  t.ok(seeds.length >= 3, 'real WAV fixtures to mutate');
  const dir = tempDir('fuzz-audio-');
  let failures = 0;
  const n = await fuzzFor(SECONDS, 150, async (caseSeed) => {
    const file = join(dir, `case-${caseSeed}.wav`);
    writeFileSync(file, mutate(seeds[caseSeed % seeds.length]!, prng(caseSeed)));
    const started = Date.now();
    try {
      const audio = await openAudioFile(file, { ffmpeg: '/nonexistent/ffmpeg' });
      for await (const chunk of audio.samples()) {
        if (!(chunk instanceof Float32Array)) t.fail(`seed ${caseSeed}: chunk is not Float32Array`);
        if (Date.now() - started > 5000) {
          t.fail(`seed ${caseSeed}: decoding did not finish in 5 s`);
          break;
        }
      }
    } catch (err) {
      failures++;
      if (!(err instanceof Error) || !err.message.includes(file)) t.fail(`seed ${caseSeed}: error does not name the file: ${String(err)}`);
    }
  });
  t.pass(`${n} mutated WAV files handled (${failures} rejected with an error)`);
});
