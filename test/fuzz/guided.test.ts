import t, { type Test } from 'tap';
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzGuided, minimizeCorpus, type GuidedFuzzOptions, type GuidedFuzzResult } from '../helpers/coverage-fuzz.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { openAudioFile } from '../../daemon/audio/decode-file.js';
import { parseRequest, ControlError } from '../../daemon/control/protocol.js';
import { checkWorkerMessage } from '../../daemon/plugins/worker-protocol.js';
import { parseHotwordList, type ListOptions } from '@earshot/plugin-hotwords-file';
import { readCorpus, writeCorpus } from '../helpers/fuzz-corpus.js';
import { encodeRecord, RecordType } from '../../daemon/mqtt/outbox/record-codec.js';
import { replayLog, type OutboxEntry } from '../../daemon/mqtt/outbox/outbox-log.js';
import { decodeFleetJob, encodeFleetJob } from '../../daemon/pipeline/fleet-job.js';
import { readFleetMessage, sealFleetMessage } from '../../daemon/mqtt/fleet/fleet-signature.js';
import type { JobOfferPayload } from '../../daemon/mqtt/payloads/job.js';
import { extractArchive } from '../../daemon/catalog/archive.js';
import { paxEntry, rawTar } from '../catalog/raw-tar.js';
import { parseJobProgress } from '../../daemon/pipeline/job-progress.js';
import { parseJsonLines } from '../../daemon/scheduler/json-lines.js';

/**
 * Coverage-guided fuzzing (issue #9) of the parsers that take bytes from outside: audio
 * files, control requests, hotword lists, messages from plugin threads, the outbox log,
 * fleet offers from other boxes, model pack archives and a job's saved progress. Each target
 * states its contract — the rejections it may give — and throws on anything else; inputs
 * that reach new code (V8 block coverage) are kept and mutated further. Seeds are the real
 * fixtures plus the corpus a longer run left in test/fuzz/corpus/. CI runs each target for
 * `FUZZ_SECONDS` (3); `FUZZ_SECONDS=600 FUZZ_CORPUS_OUT=dir npx tap test/fuzz/guided.test.ts`
 * runs longer and writes the fewest inputs that reach every block it reached (copy them to
 * test/fuzz/corpus/ to keep them); `FUZZ_COMPARE=1` also runs each target unguided for
 * the same time and prints both coverages.
 */
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 3);
const COMPARE = process.env.FUZZ_COMPARE === '1';
const CORPUS_OUT = process.env.FUZZ_CORPUS_OUT;

async function campaign(t: Test, name: string, options: Omit<GuidedFuzzOptions, 'seconds' | 'minCases'>, target: (input: Buffer) => unknown): Promise<void> {
  const seeds = [...options.seeds, ...readCorpus(name)];
  const result = await fuzzGuided({ ...options, seeds, seconds: SECONDS, minCases: 300 }, target);
  t.comment(`${name}: ${result.cases} cases, ${result.blocks} blocks / ${result.features} features reached, corpus ${result.corpus.length} (${seeds.length} seeds)`);
  if (COMPARE) {
    const plain = await fuzzGuided({ ...options, seeds: options.seeds, seconds: SECONDS, minCases: 300, guided: false }, target);
    const guided = await fuzzGuided({ ...options, seeds: options.seeds, seconds: SECONDS, minCases: 300 }, target);
    t.comment(`${name}, ${SECONDS} s from the fixtures alone: unguided ${plain.blocks} blocks / ${plain.features} features in ${plain.cases} cases; guided ${guided.blocks} / ${guided.features} in ${guided.cases}`);
  }
  if (CORPUS_OUT) {
    const kept = await minimizeCorpus(result.corpus, options.cover, target);
    writeCorpus(join(CORPUS_OUT, name), kept);
    t.comment(`${name}: ${kept.length} inputs reach the corpus's ${result.blocks} blocks; written to ${join(CORPUS_OUT, name)}`);
  }
  t.same(describe(result), [], `${name}: no input broke the contract`);
  t.ok(result.cases >= 300, `${name}: ${result.cases} cases ran`);
  // A cover filter that matches no script would leave the fuzzer blind, and still "pass".
  t.ok(result.blocks >= 10, `${name}: coverage steered the run (${result.blocks} blocks seen)`);
}

/** Crashes as printable lines: the error's first line and the input, base64. */
function describe(result: GuidedFuzzResult): string[] {
  return result.crashes.map((c) => `${c.error.split('\n')[0]} — input (base64): ${c.input.toString('base64').slice(0, 4000)}`);
}

t.test('audio files: decode, or fail with an Error that names the file; never hang', async (t) => {
  const audioDir = join(fixturesDir, 'audio');
  const seeds = readdirSync(audioDir)
    .filter((f) => f.endsWith('.wav'))
    .map((f) => readFileSync(join(audioDir, f)).subarray(0, 4096));
  const file = join(tempDir('fuzz-guided-audio-'), 'case.wav');
  await campaign(
    t,
    'audio',
    { seeds, maxBytes: 8192, cover: (url) => url.includes('/daemon/audio/'), dictionary: ['RIFF', 'WAVE', 'RF64', 'fmt ', 'data', 'LIST', 'fact', '\x01\x00', '\x03\x00', '\xfe\xff'] },
    async (input) => {
      writeFileSync(file, input);
      const started = Date.now();
      let audio;
      try {
        audio = await openAudioFile(file, { ffmpeg: '/nonexistent/ffmpeg' });
      } catch (err) {
        if (err instanceof Error && err.message.includes(file)) return;
        throw err;
      }
      try {
        for await (const chunk of audio.samples()) {
          if (!(chunk instanceof Float32Array)) throw new Error('a chunk is not a Float32Array');
          if (Date.now() - started > 5000) throw new Error('decoding did not finish in 5 s');
        }
      } catch (err) {
        if (err instanceof Error && err.message.includes(file)) return;
        throw err;
      }
    },
  );
});

t.test('control requests: a request with a method and an id, or a ControlError', async (t) => {
  const seeds = ['{"id":1,"method":"status","params":{}}', '{"id":"a","method":"jobs.submit","params":{"paths":["/x.wav"],"priority":"batch"}}', '{"id":2,"method":"plugins.enable","params":{"name":"itn-en"}}'].map((s) => Buffer.from(s));
  await campaign(t, 'control', { seeds, maxBytes: 4096, cover: (url) => url.includes('/daemon/control/'), dictionary: ['"id"', '"method"', '"params"', 'null', '[]', '{}', '\\u0000', '"__proto__"'] }, (input) => {
    const parsed = parseRequest(input.toString('utf8'));
    if (parsed instanceof ControlError) return;
    if (typeof parsed.method !== 'string' || (typeof parsed.id !== 'string' && typeof parsed.id !== 'number')) throw new Error(`accepted a request without a method or id: ${JSON.stringify(parsed)}`);
  });
});

/** What a kept phrase may hold (the plugin's documented alphabet), with a letter or digit. */
const SPOKEN = /^(?=.*[\p{L}\p{N}])[\p{L}\p{M}\p{N} '’\-.&+]+$/u;

t.test('hotword lists: lines kept obey the limits, the rest are refused by line; only an unclosed CSV quote throws', async (t) => {
  const options: ListOptions = { format: 'lines', defaultBoost: 1.5, maxBoost: 5, maxLength: 40, maxPhrases: 50 };
  const seeds = ['pellegrino\nO\'Neill :3\n# a comment\nJean-Luc:2.5 # note\n\n深圳:1\n', 'phrase,weight,language\n"AT&T",2,en\nC++,,\n"St. Louis",4,en-US\n'].map((s) => Buffer.from(s));
  await campaign(t, 'hotwords', { seeds, maxBytes: 4096, cover: (url) => url.includes('/hotwords-file/'), dictionary: ['"', ',', '#', ':', '\r\n', '\uFEFF', 'phrase'] }, (input) => {
    const text = input.toString('utf8');
    for (const format of ['lines', 'csv'] as const) {
      let parsed;
      try {
        parsed = parseHotwordList(text, { ...options, format });
      } catch (err) {
        if (format === 'csv' && err instanceof Error && /quote/i.test(err.message)) continue;
        throw err;
      }
      if (parsed.hotwords.length > options.maxPhrases) throw new Error(`${format}: ${parsed.hotwords.length} phrases kept, over the limit`);
      const keys = new Set<string>();
      for (const h of parsed.hotwords) {
        const length = [...h.phrase].length;
        if (length === 0 || length > options.maxLength) throw new Error(`${format}: kept a phrase of length ${length}`);
        if (!SPOKEN.test(h.phrase) || /\s{2}|^\s|\s$/.test(h.phrase)) throw new Error(`${format}: kept ${JSON.stringify(h.phrase)}`);
        if (!(h.boost >= 0 && h.boost <= options.maxBoost)) throw new Error(`${format}: kept boost ${h.boost}`);
        const key = `${h.language ?? ''}\u0000${h.phrase.toLowerCase()}`;
        if (keys.has(key)) throw new Error(`${format}: kept ${JSON.stringify(h.phrase)} twice`);
        keys.add(key);
      }
      for (const p of parsed.problems) if (!Number.isInteger(p.line) || p.line < 1 || !p.message) throw new Error(`${format}: a problem without a line or message: ${JSON.stringify(p)}`);
    }
  });
});

t.test('messages from plugin threads: a known message, or undefined (the thread is then ended)', async (t) => {
  const seeds = ['{"t":"ready"}', '{"t":"reply","id":3,"ok":true,"value":"ok"}', '{"t":"reply","id":4,"ok":false,"error":"boom","how":"threw"}', '{"t":"log","level":"info","message":"hi","fields":{"a":1}}', '{"t":"task-end","id":9,"ok":false,"reason":"stuck"}', '{"t":"hotwords-request","id":2,"language":"en"}'].map((s) => Buffer.from(s));
  await campaign(t, 'plugin-messages', { seeds, maxBytes: 4096, cover: (url) => url.includes('/daemon/plugins/'), dictionary: ['"t"', '"id"', '"ok"', 'true', '"error"', '"how"', '"rejected"', '"pong"', '"load-failed"', 'null', '-1', '1e400', '9007199254740993'] }, (input) => {
    let value: unknown;
    try {
      value = JSON.parse(input.toString('utf8'));
    } catch {
      return; // a structured clone is never unparsable bytes; only values matter
    }
    const checked = checkWorkerMessage(value) as Record<string, unknown> | undefined;
    if (checked === undefined) return;
    // What the host then reads from an accepted message must be there, with its type.
    const id = checked['id'];
    if ('id' in checked && !Number.isSafeInteger(id)) throw new Error(`accepted an id that is not a safe integer: ${JSON.stringify(value)}`);
    if (checked['t'] === 'reply' && checked['ok'] === false && typeof checked['error'] !== 'string') throw new Error(`accepted a failed reply without an error: ${JSON.stringify(value)}`);
    if (['pong', 'task-start', 'task-end', 'reply', 'hotwords-request'].includes(checked['t'] as string) && id === undefined) throw new Error(`accepted ${String(checked['t'])} without an id`);
    if ('at' in checked && checked['at'] !== undefined && typeof checked['at'] !== 'string') throw new Error(`accepted a failure location that is not a string: ${JSON.stringify(value)}`);
  });
});

t.test('a damaged outbox log replays to entries that were written, never to anything else, and accounts for every byte', async (t) => {
  const entries: OutboxEntry[] = Array.from({ length: 4 }, (_, i) => ({ id: `tr-${i}`, topic: `earshot/lab/transcript/mic`, payload: JSON.stringify({ v: 1, id: `tr-${i}`, text: `words ${i}` }), qos: 1, retain: false, at: 1_700_000_000_000 + i }));
  const log = Buffer.concat([
    ...entries.map((e) => encodeRecord(RecordType.Put, e)),
    encodeRecord(RecordType.Ack, { id: 'tr-1' }),
    encodeRecord(RecordType.Drop, { id: 'tr-2', reason: 'max-age' }),
  ]);
  const written = new Map(entries.map((e) => [e.id, JSON.stringify(e)]));
  await campaign(t, 'outbox-log', { seeds: [log, log.subarray(0, log.length - 7)], maxBytes: 8192, cover: (url) => url.includes('/daemon/mqtt/outbox/'), dictionary: ['\xe5\x0b', '\x01', '\x02', '\x03', '{"id":"tr-0"}'] }, (input) => {
    const started = Date.now();
    const result = replayLog(input);
    if (Date.now() - started > 1000) throw new Error(`replaying ${input.length} bytes took ${Date.now() - started} ms`);
    for (const [id, entry] of result.pending) {
      // A CRC-checked record is one the daemon wrote: nothing new can appear, only be lost.
      if (written.get(id) !== JSON.stringify({ ...entry })) throw new Error(`replayed an entry that was never written: ${JSON.stringify(entry)}`);
    }
    if (result.validEnd > input.length) throw new Error(`validEnd ${result.validEnd} is past the end (${input.length})`);
    let covered = 0;
    for (const s of result.skipped) {
      if (s.length <= 0 || s.offset < 0 || s.offset + s.length > input.length) throw new Error(`a skipped range outside the input: ${JSON.stringify(s)}`);
      covered += s.length;
    }
    if (covered > input.length) throw new Error('skipped ranges overlap');
  });
});

t.test('fleet offers from another box: a checked job with a plain local id and its exact audio, or a refusal that names the job', async (t) => {
  const maxBytes = 2048;
  const audio = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav')).subarray(0, 600);
  const offer = { v: 1, jobId: 'clip-01', offeredBy: 'hq', attempt: 2, ts: '2026-11-25T10:00:00Z', claimBy: '2026-11-25T10:00:30Z', job: encodeFleetJob('/srv/spool/Meeting Room.WAV', audio, maxBytes, Date.UTC(2026, 10, 25, 6, 0, 0)) };
  const seeds = [Buffer.from(JSON.stringify(offer)), Buffer.from(JSON.stringify({ ...offer, job: { ...offer.job, fileName: '../../etc/passwd', audio: '', bytes: 0 } }))];
  const unsigned = { group: 'office', key: null };
  const keyed = { group: 'office', key: Buffer.from('fuzz-fleet-key-0123456789-abcdefghijklmnopq') };
  seeds.push(Buffer.from(JSON.stringify(sealFleetMessage(keyed, 'job', offer))), Buffer.from(JSON.stringify({ ...offer, job: JSON.parse('{"a":'.repeat(3000) + '1' + '}'.repeat(3000)) as object, sig: '0'.repeat(64) })));
  await campaign(t, 'fleet-offer', { seeds, maxBytes: 32768, cover: (url) => url.includes('/pipeline/fleet-job.') || url.includes('/fleet/fleet-signature.'), dictionary: ['"jobId"', '"attempt"', '"job"', '"fileName"', '"bytes"', '"sha256"', '"audio"', '"kind"', '"transcribe"', '..', '/', '\\u0000', '-1', '1e400', '"sig"'] }, (input) => {
    // With the group's key: a verdict, never a throw (the signature is checked over the
    // parsed message, so its shape must not be able to break the check).
    const signedRead = readFleetMessage<JobOfferPayload>(keyed, 'job', input);
    if (!('problem' in signedRead) && !('value' in signedRead)) throw new Error('the keyed reader gave no verdict');
    const read = readFleetMessage<JobOfferPayload>(unsigned, 'job', input);
    if ('problem' in read) return;
    let decoded;
    try {
      decoded = decodeFleetJob(read.value, maxBytes);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('fleet job ')) return;
      throw err;
    }
    // The local id names a file in the inbox and a queue record: one plain path element.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(decoded.localId) || decoded.localId.includes('..')) throw new Error(`accepted local id ${JSON.stringify(decoded.localId)}`);
    if (!/^\.[a-z0-9]{1,5}$/.test(decoded.extension)) throw new Error(`accepted extension ${JSON.stringify(decoded.extension)}`);
    const job = read.value.job as { bytes: number };
    if (decoded.audio.length !== job.bytes || decoded.audio.length > maxBytes || decoded.audio.length === 0) throw new Error(`accepted ${decoded.audio.length} bytes of audio for a declared ${job.bytes}`);
  });
});

function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
}

/** Every entry under dir, with what lstat says it is, relative to dir. */
function kindsUnder(dir: string, under = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    const shown = under ? `${under}/${entry}` : entry;
    const st = lstatSync(path);
    if (st.isDirectory()) return [`${shown}/`, ...kindsUnder(path, shown)];
    return [st.isFile() ? shown : `${shown} (not a file)`];
  });
}

t.test('model pack archives: regular files and directories inside the target, or an error that names the archive', async (t) => {
  const seeds = [
    rawTar([{ name: 'pack/', type: '5' }, { name: 'pack/model.onnx', data: 'onnx' }, { name: 'pack/tokens.txt', data: 'a 0\nb 1\n' }]),
    rawTar([paxEntry({ path: 'pack/long/'.padEnd(150, 'x'), size: '3' }), { name: 'p', data: 'abc' }, { name: '././@LongLink', type: 'L', data: 'pack/gnu-long\0' }, { name: 'g', data: 'd' }]),
    rawTar([{ name: 'name.txt', prefix: 'pack/prefix', data: 'x' }, { name: 'old/', gnuMagic: true, type: '0' }, { name: 'pack/fifo', type: '6' }]),
  ];
  // the target sits two folders down, so that an escape by ../ or ../../ lands where the
  // check below sees it
  const root = tempDir('fuzz-guided-tar-');
  const archive = join(root, 'case.tar');
  const dir = join(root, 'l1', 'l2', 'staging');
  await campaign(t, 'model-pack', { seeds, maxBytes: 8192, cover: (url) => url.includes('/daemon/catalog/'), dictionary: ['ustar\x0000', 'ustar  \x00', '../', '/', './', '0000644\x00', '00000000010\x00', ' path=', ' size=', 'GNU.sparse.', '\n', '\x80'] }, async (input) => {
    writeFileSync(archive, input);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      await extractArchive(archive, dir);
    } catch (err) {
      // a refusal names the archive; a bug in the reader (a TypeError, a RangeError) is not one
      if (err instanceof Error && err.message.startsWith(`${archive}: `) && !isProgrammingError(err.cause)) return;
      throw err;
    } finally {
      const outside = kindsUnder(root).filter((entry) => !entry.startsWith('l1/l2/staging/')).sort();
      if (outside.join(',') !== 'case.tar,l1/,l1/l2/') throw new Error(`wrote outside the target: ${outside.join(', ')}`);
    }
    const odd = kindsUnder(dir).filter((entry) => entry.endsWith('(not a file)'));
    if (odd.length > 0) throw new Error(`unpacked something that is not a file or directory: ${odd.join(', ')}`);
  });
});

t.test('saved job progress: the records read back, a header and the segments before any damage, or undefined; never throws', async (t) => {
  const transcript = { id: 'tr-1', text: 'hello there', rawText: 'hello there', startOffsetSec: 0.5, endOffsetSec: 2.4 };
  const lines = (records: unknown[]) => Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''));
  const header = { version: 1, modelId: 'nemo-ctc-en', cut: 'energy {"threshold":0.5}', generation: 2 };
  const seeds = [
    lines([header, { startSec: 0.5, endSec: 2.4, transcripts: [transcript], joules: 1.5 }, { startSec: 3.6, endSec: 4.9, transcripts: [], joules: 0 }]),
    lines([{ ...header, generation: 0 }]),
    lines([{ ...header, version: 2 }, { publishing: true }, { startSec: 0.5, endSec: 2.4, transcripts: [transcript], joules: 1.5 }, { resumeAt: { segments: 1, sample: 38400 } }, { publishing: true }, { startSec: 3.6, endSec: 4.9, transcripts: [], joules: 0 }]),
  ];
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  await campaign(t, 'job-progress', { seeds, maxBytes: 4096, cover: (url) => url.includes('/pipeline/job-progress.') || url.includes('/scheduler/json-lines.'), dictionary: ['"version"', '"modelId"', '"cut"', '"generation"', '"startSec"', '"endSec"', '"joules"', '"transcripts"', '"rawText"', '"resumeAt"', '"segments"', '"sample"', '"publishing"', 'true', 'null', '1e400', '-0', '[]', '{}', '\n', '"__proto__"'] }, (input) => {
    const records = parseJsonLines(input.toString('utf8'));
    const parsed = parseJobProgress(records);
    if (parsed === undefined) return;
    const h = parsed.header;
    if ((h.version !== 1 && h.version !== 2) || typeof h.modelId !== 'string' || typeof h.cut !== 'string' || !Number.isSafeInteger(h.generation) || h.generation < 0) throw new Error(`accepted a malformed header: ${JSON.stringify(h).slice(0, 200)}`);
    if (parsed.segments.length + parsed.resumePoints.length > records.length - 1) throw new Error('more segments and resume points than records');
    if (typeof parsed.openTail !== 'boolean') throw new Error('openTail is not a boolean');
    if (!parsed.openTail && parsed.segments.length > (parsed.resumePoints.at(-1)?.segments ?? 0)) throw new Error('segments after the last resume point, yet the tail is not open');
    let after = 0;
    for (const p of parsed.resumePoints) {
      if (h.version !== 2) throw new Error('a resume point read from a version 1 file');
      if (!Number.isSafeInteger(p.sample) || p.sample < 0 || !Number.isSafeInteger(p.segments) || p.segments < after || p.segments > parsed.segments.length) throw new Error(`accepted a resume point out of place: ${JSON.stringify(p)}`);
      const last = parsed.segments[p.segments - 1];
      if (last && p.sample < Math.round(last.endSec * 16000)) throw new Error(`accepted a resume point inside a segment before it: ${JSON.stringify(p)}`);
      after = p.segments;
    }
    for (const s of parsed.segments) {
      if (!finite(s.startSec) || !finite(s.endSec) || !finite(s.joules)) throw new Error(`accepted a segment with a non-number: ${JSON.stringify(s).slice(0, 200)}`);
      for (const tr of s.transcripts) {
        if (typeof tr.id !== 'string' || typeof tr.text !== 'string' || typeof tr.rawText !== 'string' || !finite(tr.startOffsetSec) || !finite(tr.endOffsetSec)) throw new Error(`accepted a malformed transcript: ${JSON.stringify(tr).slice(0, 200)}`);
        if (Object.keys(tr).length !== 5) throw new Error(`passed on extra keys: ${Object.keys(tr).join(',')}`);
      }
    }
  });
});
