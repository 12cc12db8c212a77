import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecord, RecordType } from '../../daemon/mqtt/outbox/record-codec.js';
import { launchRefused } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

/**
 * A rollback: the outbox log holds, between transcripts, a record of a type a later release
 * wrote. Taken for damage, it would be compacted away with the transcripts it holds; the
 * daemon refuses to start instead (exit 78, so systemd does not restart it into the same
 * refusal), naming the file and what to do, and leaves the file as it was.
 */
t.test('an outbox log with records of a later release: the start is refused, the log left whole', async (t) => {
  const dataDir = join(tempDir('earshot-newer-outbox-'), 'data');
  mkdirSync(join(dataDir, 'outbox'), { recursive: true });
  const put = (id: string) => encodeRecord(RecordType.Put, { id, topic: 'earshot/rollback/transcript/inbox', payload: JSON.stringify({ id }), qos: 1, retain: false, at: Date.now() });
  const log = Buffer.concat([put('before'), encodeRecord(7 as number as RecordType, { id: 'later', payload: '{}' }), put('after')]);
  const file = join(dataDir, 'outbox', 'outbox.log');
  writeFileSync(file, log);

  const daemon = await launchRefused({ siteId: 'rollback', dataDir });
  t.notOk(daemon.ready, 'not started');
  t.equal(daemon.code, 78, 'exits 78, as for a bad config');
  t.match(daemon.output, `earshotd: ${file} holds 1 record(s) of a type this earshotd does not know (type 7`);
  t.match(daemon.output, /a newer release wrote them\. Start that release again so that it delivers them; the file is left as it is\. To start this release without them, move the file aside first/);
  t.ok(readFileSync(file).equals(log), 'the log is byte for byte as it was');
});
