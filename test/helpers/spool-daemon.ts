import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Test } from 'tap';
import { startDaemonOnFreePort, type RunningDaemon } from './daemon-process.js';
import { fixturesDir } from './paths.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

export interface SpoolDaemon {
  daemon: RunningDaemon;
  port: number;
  spool: string;
  /** Every transcript published so far, in order of arrival. */
  transcripts: TranscriptPayload[];
  /** Drops the fixture recording of two stretches of speech into the spool as `name` (written as .part, then renamed). */
  drop(name: string): void;
  /** Closes the subscriber, stops the daemon with SIGTERM and checks it exits 0. */
  stop(): Promise<void>;
}

/**
 * A real earshotd on its embedded broker with one spool source, `desk`, in `<root>/spool`,
 * the energy VAD and the fixture CTC model unless `config` says otherwise, and an MQTT
 * subscriber collecting its transcripts. Killed at the test's teardown if still running.
 */
export async function startSpoolDaemon(t: Test, root: string, siteId: string, config: Record<string, unknown> = {}): Promise<SpoolDaemon> {
  const spool = join(root, 'spool');
  mkdirSync(spool);
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    siteId,
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [{ id: 'desk', type: 'spool', dir: spool, settleMs: 200, pollMs: 100 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
    ...config,
  }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.endAsync(true));
  const transcripts: TranscriptPayload[] = [];
  subscriber.on('message', (_topic, payload) => transcripts.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await subscriber.subscribeAsync(`earshot/${siteId}/transcript/#`, { qos: 1 });
  return {
    daemon,
    port,
    spool,
    transcripts,
    drop: (name) => {
      copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, `${name}.part`));
      renameSync(join(spool, `${name}.part`), join(spool, name));
    },
    stop: async () => {
      await subscriber.endAsync(true);
      daemon.child.kill('SIGTERM');
      t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
    },
  };
}
