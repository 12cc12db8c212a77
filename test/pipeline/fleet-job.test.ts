import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';
import { checkFleetSize, decodeFleetJob, encodeFleetJob } from '../../daemon/pipeline/fleet-job.js';

// A real recording from the fixtures: the job carries its bytes, so decode must give them back.
const wavName = readdirSync(fixturesDir, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.wav'));
if (!wavName) throw new Error(`no .wav fixture under ${fixturesDir}`);
const wavPath = join(fixturesDir, wavName);
const wav = readFileSync(wavPath);
const LIMIT = wav.length + 1024;
/** The file's modification time on the offering box. */
const RECORDED_MS = Date.UTC(2026, 10, 25, 6, 0, 0);

function offerOf(job: Record<string, unknown>, jobId = 'f-0123abcd', attempt = 1) {
  return { jobId, attempt, offeredBy: 'hq', job };
}

t.test('a job encoded from a real file decodes to the same bytes under <id>.a<attempt>', async (t) => {
  const job = encodeFleetJob(wavPath, wav, LIMIT, RECORDED_MS);
  t.equal(job.kind, 'transcribe');
  t.equal(job.bytes, wav.length);
  // Through JSON, as over the wire.
  const decoded = decodeFleetJob(offerOf(JSON.parse(JSON.stringify(job)) as Record<string, unknown>, 'f-0123abcd', 3), LIMIT);
  t.ok(decoded.audio.equals(wav), 'the audio is byte for byte the file');
  t.equal(decoded.localId, 'f-0123abcd.a3');
  t.equal(decoded.extension, '.wav');
  t.equal(decoded.fileName, job.fileName);
  t.equal(decoded.modifiedMs, RECORDED_MS, "the offering box's file time, to date the transcripts by");
  const older = JSON.parse(JSON.stringify(job)) as Record<string, unknown>;
  delete older.modifiedAt;
  t.equal(decodeFleetJob(offerOf(older), LIMIT).modifiedMs, undefined, 'an offer of an older version, without it, is taken');
});

t.test('encode and checkFleetSize refuse what the fleet cannot carry, saying how to go on', async (t) => {
  t.throws(() => encodeFleetJob(wavPath, wav, wav.length - 1, RECORDED_MS), /over the fleet limit of \d+ bytes.*without --fleet/);
  t.throws(() => checkFleetSize(0, LIMIT), /file is empty/);
  t.doesNotThrow(() => checkFleetSize(wav.length, wav.length));
});

t.test('decode refuses a damaged or foreign offer with a message naming the field and the offerer', async (t) => {
  const good = () => JSON.parse(JSON.stringify(encodeFleetJob(wavPath, wav, LIMIT, RECORDED_MS))) as Record<string, unknown>;
  const cases: Array<[string, (j: Record<string, unknown>) => void, RegExp]> = [
    ['a kind this version does not know', (j) => (j.kind = 'translate'), /from hq: job\.kind "translate" is not "transcribe".*newer earshot/],
    ['a missing kind', (j) => delete j.kind, /job\.kind undefined is not "transcribe"/],
    ['a sha256 of other bytes', (j) => (j.sha256 = 'ab'.repeat(32)), /does not match its size\/sha256.*damaged/],
    ['a missing sha256', (j) => delete j.sha256, /job\.sha256 is missing/],
    ['a size that is not the payload\'s', (j) => (j.bytes = (j.bytes as number) - 1), /does not match its size\/sha256 \(\d+ of \d+ bytes\)/],
    ['a size that is no integer', (j) => (j.bytes = 'many'), /job\.bytes must be a positive integer/],
    ['a missing payload', (j) => delete j.audio, /job\.audio \(base64 of the recording\) is missing/],
    ['a truncated payload', (j) => (j.audio = (j.audio as string).slice(0, 400)), /does not match its size\/sha256 \(300 of \d+ bytes\)/],
    ['a payload longer than its size', (j) => (j.audio = (j.audio as string) + 'AAAA'.repeat(1000)), /base64 characters, more than job\.bytes/],
    ['a missing file name', (j) => (j.fileName = ''), /job\.fileName is missing/],
    ['a file time that is no time', (j) => (j.modifiedAt = 'yesterday'), /job\.modifiedAt must be an ISO 8601 time/],
    ['a file time that is no string', (j) => (j.modifiedAt = 1764050400000), /job\.modifiedAt must be an ISO 8601 time/],
  ];
  for (const [what, damage, message] of cases) {
    const job = good();
    damage(job);
    t.throws(() => decodeFleetJob(offerOf(job), LIMIT), message, what);
  }
});

t.test('decode refuses a payload over this box\'s limit before decoding it', async (t) => {
  const job = JSON.parse(JSON.stringify(encodeFleetJob(wavPath, wav, LIMIT, RECORDED_MS))) as Record<string, unknown>;
  t.throws(() => decodeFleetJob(offerOf(job), wav.length - 1), new RegExp(`${wav.length} bytes is over this box's limit of ${wav.length - 1} bytes; raise mqtt\\.fleet\\.maxAudioBytes`));
});

t.test('decode refuses a job id that would name a file outside the inbox', async (t) => {
  const job = () => JSON.parse(JSON.stringify(encodeFleetJob(wavPath, wav, LIMIT, RECORDED_MS))) as Record<string, unknown>;
  for (const id of ['../../etc/passwd', 'a/b', '..', '.hidden', 'x\0y', '']) {
    t.throws(() => decodeFleetJob(offerOf(job(), id), LIMIT), /the job id and attempt cannot name a file here \(invalid job id .*\); the offering box must use plain ids/, JSON.stringify(id));
  }
  // An attempt that smuggles a path is refused just the same.
  t.throws(() => decodeFleetJob({ ...offerOf(job()), attempt: '1/../../x' as unknown as number }, LIMIT), /cannot name a file here/);
});

t.test('the file name from the wire only chooses a plain extension, never a path', async (t) => {
  const names: Array<[string, string]> = [
    ['talk.FLAC', '.flac'],
    ['../../etc/cron.d/evil', '.wav'],
    ['no-extension', '.wav'],
    ['x.wav/../../y.sh;rm', '.wav'],
  ];
  for (const [fileName, extension] of names) {
    const job = JSON.parse(JSON.stringify(encodeFleetJob(wavPath, wav, LIMIT, RECORDED_MS))) as Record<string, unknown>;
    job.fileName = fileName;
    t.equal(decodeFleetJob(offerOf(job), LIMIT).extension, extension, fileName);
  }
});
