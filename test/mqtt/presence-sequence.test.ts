import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PresenceSequence } from '../../daemon/mqtt/presence-sequence.js';
import { MAX_PRESENCE_SEQUENCE, newPresence, presenceSequence } from '../../daemon/mqtt/payloads/status.js';
import { LogSink } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';

/** A clock reading `ms` milliseconds since 1970. */
const at = (ms: number) => () => ms;

function logs() {
  const lines: string[] = [];
  return { logger: new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l) }).logger('mqtt'), lines };
}

t.test('the sequence goes up by one per connection, across restarts, whatever the clock does', async (t) => {
  const file = join(tempDir(), 'presence-sequence');
  const { logger } = logs();
  const first = new PresenceSequence(file, logger, at(1_764_000_000_000));
  t.same([first.next(), first.next()], [1_764_000_000_000, 1_764_000_000_001], 'a new box starts at the clock (ms)');
  t.equal(readFileSync(file, 'utf8'), '1764000000001\n', 'kept on disk before it is used');
  // restarted with the clock an hour back (NTP stepped it)
  const restarted = new PresenceSequence(file, logger, at(1_764_000_000_000 - 3_600_000));
  t.equal(restarted.next(), 1_764_000_000_002, 'still one more than the last');
  // restarted with the clock ahead: never less than the Unix time
  t.equal(new PresenceSequence(file, logger, at(1_800_000_000_000)).next(), 1_800_000_000_000);
});

t.test('a lost or damaged file starts from the clock; an unwritable one is said once and the order still holds', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'presence-sequence');
  const { logger, lines } = logs();
  for (const damaged of ['not a number', '1e3', '0x10', '-5', String(36 ** 9)]) {
    writeFileSync(file, damaged);
    t.equal(new PresenceSequence(file, logger, at(5000)).next(), 5000, `${JSON.stringify(damaged)}: from the clock`);
  }
  t.equal(lines.filter((l) => /holds no usable number/.test(l)).length, 5, 'each said');
  const blocked = join(dir, 'a-file', 'presence-sequence'); // its folder is a file
  writeFileSync(join(dir, 'a-file'), '');
  const sequence = new PresenceSequence(blocked, logger, at(7000));
  t.same([sequence.next(), sequence.next(), sequence.next()], [7000, 7001, 7002]);
  t.equal(lines.filter((l) => /cannot keep the MQTT connection sequence/.test(l)).length, 1, 'warned once');
});

t.test('a presence carries its sequence in a form older offerers accept as an opaque id', async (t) => {
  const schema = JSON.parse(readFileSync(join(process.cwd(), 'schemas', 'status.schema.json'), 'utf8')) as { properties: { presence: { pattern: string } } };
  const pattern = new RegExp(schema.properties.presence.pattern);
  const ordered = newPresence(1_764_000_000_000);
  t.match(ordered, pattern, 'fits the status schema of earlier versions');
  t.equal(presenceSequence(ordered), 1_764_000_000_000);
  t.match(newPresence(MAX_PRESENCE_SEQUENCE), pattern, 'the largest too');
  t.equal(presenceSequence(newPresence(MAX_PRESENCE_SEQUENCE)), MAX_PRESENCE_SEQUENCE);
  t.equal(presenceSequence(newPresence()), undefined, 'a presence without one (an older box)');
  t.equal(presenceSequence(undefined), undefined);
  t.not(newPresence(7), newPresence(7), 'random all the same');
});
