import t from 'tap';
import mqtt from 'mqtt';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { earshotBin, runCli, startDaemonOnFreePort, waitFor, withoutTapHooks } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

const TOPIC = 'earshot/grid/intensity';
/** What any client that may publish a reading could send: erase the line, print a forged one in green. */
const FORGED = 'x\r\u001b[2K\u001b[32mnow 12 ok';

t.test('outside text in earshot output cannot move the cursor, recolour, retitle or overwrite a line: control characters are shown as escapes', async (t) => {
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    scheduler: { carbon: { source: 'mqtt', mqttTopic: TOPIC } },
  }));
  t.teardown(() => void daemon.child.kill('SIGKILL'));
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0 });
  await client.publishAsync(TOPIC, FORGED, { qos: 1 });
  await client.endAsync();
  await waitFor(() => daemon.output().includes('carbon intensity message ignored'), 10_000, 'the refusal');

  const text = await runCli(['carbon', '--socket', daemon.socket]);
  t.equal(text.code, 0, text.stderr);
  t.notMatch(text.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no control character but newlines reaches the terminal');
  t.match(text.stdout, /^now .*bad payload on earshot\/grid\/intensity: .*x\\r\\u001b\[2K\\u001b\[32mnow 12 ok/m, 'the payload is shown, escaped, on the line that quotes it');
  t.equal(text.stdout.split('\n')[0]!.startsWith('now       250 gCO2e/kWh from mqtt'), true, 'the real value leads the line');

  const json = await runCli(['carbon', '--json', '--socket', daemon.socket]);
  const note = (JSON.parse(json.stdout) as { current: { note: string } }).current.note;
  t.match(note, 'x\\r\\u001b[2K\\u001b[32mnow 12 ok', '--json gives the note as the daemon keeps it: one line, what the payload quoted escaped');
});

t.test("a recording's name with a newline in it stays on its own line in earshot jobs submit, list and get", async (t) => {
  const { daemon } = await startDaemonOnFreePort((port) => ({ mqtt: { url: null, embedded: { host: '127.0.0.1', port } } }));
  t.teardown(() => void daemon.child.kill('SIGKILL'));
  // A name any user who may drop recordings can give: a second line that reads as a job done.
  const file = join(tempDir(), 'call.wav\nf-000000000000000000000000  done    batch');
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), file);
  const forgedLine = /^f-000000000000000000000000/m;
  const submit = await runCli(['jobs', 'submit', file, '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  t.notMatch(submit.stdout, forgedLine, 'submit');
  t.match(submit.stdout, 'call.wav\\nf-000000000000000000000000');
  const list = await runCli(['jobs', 'list', '--socket', daemon.socket]);
  t.notMatch(list.stdout, forgedLine, 'list');
  const id = submit.stdout.split(' ')[0]!;
  const get = await runCli(['jobs', 'get', id, '--socket', daemon.socket]);
  t.equal(get.code, 0, get.stderr);
  t.notMatch(get.stdout, forgedLine, 'get');

  const wait = await runCli(['jobs', 'wait', id, '--socket', daemon.socket]);
  t.equal(wait.code, 0, wait.stderr);
  const exportArgs = ['jobs', 'export', '--data-dir', join(daemon.dir, 'data')];
  const onTerminal = cliOnTerminal(exportArgs);
  t.match(onTerminal, 'call.wav\\nf-000000000000000000000000', 'export to a terminal shows the name on its row, escaped');
  t.notMatch(onTerminal, forgedLine, 'export to a terminal');
  const piped = await runCli(exportArgs);
  t.match(piped.stdout, `"${file}"`, 'export into a pipe or file keeps the name as it is, quoted by CSV');
});

/**
 * JSON.stringify escapes U+0000–U+001F only: the C1 controls went out raw, and a terminal
 * takes U+009B for CSI, so a recording named "call\u009b2J…" cleared the screen of `earshot
 * jobs list --json` and `jobs export --format json`. They are \u escapes now, the same JSON.
 */
t.test("a recording's name with C1 controls in it is escaped in JSON printed to a terminal, its value kept", async (t) => {
  const { daemon } = await startDaemonOnFreePort((port) => ({ mqtt: { url: null, embedded: { host: '127.0.0.1', port } } }));
  t.teardown(() => void daemon.child.kill('SIGKILL'));
  const file = join(tempDir(), 'call\u009b2J\u009b31mforged\u007f.wav');
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), file);
  const submit = await runCli(['jobs', 'submit', file, '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  const wait = await runCli(['jobs', 'wait', '--socket', daemon.socket]);
  t.equal(wait.code, 0, wait.stderr);
  const c1 = /[\u007f-\u009f]/;
  const list = cliOnTerminal(['jobs', 'list', '--json', '--socket', daemon.socket]);
  t.notMatch(list, c1, 'jobs list --json');
  t.equal((JSON.parse(list) as { jobs: Array<{ input: string }> }).jobs[0]!.input, file, 'the same name, read back');
  const exported = cliOnTerminal(['jobs', 'export', '--format', 'json', '--data-dir', join(daemon.dir, 'data')]);
  t.notMatch(exported, c1, 'jobs export --format json');
  t.equal((JSON.parse(exported) as Array<{ input: string }>)[0]!.input, file, 'the same name, read back');
});

/** What `earshot ARGS` prints on a terminal: run under a pseudo-terminal by script(1), util-linux. */
function cliOnTerminal(args: string[]): string {
  const command = withoutTapHooks([process.execPath, earshotBin, ...args], process.env).map(shellQuoted).join(' ');
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`script ${command} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

function shellQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
