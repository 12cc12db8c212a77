import t from 'tap';
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';
import { runCli, waitFor } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

/** Every file and folder under `dir`, with its permission bits. */
function walk(dir: string, out: Array<{ path: string; mode: number }> = []): Array<{ path: string; mode: number }> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isSocket()) continue;
    out.push({ path, mode: st.mode & 0o777 });
    if (st.isDirectory()) walk(path, out);
  }
  return out;
}

t.test("nothing the daemon keeps under dataDir is open to other users, whatever the umask it was started under", async (t) => {
  // The unit sets UMask=0027; a daemon started by hand or by another supervisor gets the
  // usual 022. A data dir made beforehand as 0755 (by an installer) then leaves open what is
  // made in it: transcripts in the outbox, recordings' segments, the queue, the energy ledger.
  const previous = process.umask(0o022);
  t.teardown(() => void process.umask(previous));
  const root = tempDir();
  const d = await startSpoolDaemon(t, root, 'modes', { scheduler: { tickMs: 100, carbon: { source: 'static' } } });
  d.drop('call.wav');
  await waitFor(() => d.transcripts.length >= 2, 60_000, 'the recording transcribed');
  // An operator's override, kept under scheduler/.
  t.equal((await runCli(['budget', 'set', '--watts', '100', '--socket', d.daemon.socket])).code, 0);
  await d.stop();
  const dataDir = join(d.daemon.dir, 'data');
  const open = walk(dataDir).filter((e) => (e.mode & 0o007) !== 0);
  t.same(open.map((e) => `${relative(dataDir, e.path)} ${e.mode.toString(8)}`), [], 'no file or folder readable, writable or searchable by others');
});
