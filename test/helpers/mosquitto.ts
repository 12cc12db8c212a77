import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { tempDir } from './paths.js';
import type { TestPki } from './tls.js';
import { freePort } from '../../scripts/free-port.js';

export interface MosquittoOptions {
  /** Users for a password file (made with mosquitto_passwd); anonymous clients are refused when given. */
  users?: Record<string, string>;
  /** Adds a TLS listener with these certificates. */
  tls?: TestPki;
  /** Require a client certificate on the TLS listener. */
  requireClientCert?: boolean;
  /** Keep sessions and queued messages across restarts (saved at shutdown). Default true. */
  persistence?: boolean;
  /** More mosquitto.conf lines, for all listeners (`max_packet_size 700`, `acl_file …`). */
  extraConfig?: string[];
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

/** Re-exported: tests that start Mosquitto take their other ports from the same place. */
export { freePort };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether something accepts a TCP connection on 127.0.0.1:port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * A real Mosquitto broker for interop tests: its own directory with a generated config,
 * on free loopback ports, optionally with TLS and a password file. `stop()` + `start()`
 * restarts it on the same ports with its persisted sessions.
 */
export class Mosquitto {
  readonly dir = tempDir('earshot-mosquitto-');
  readonly logFile = join(this.dir, 'mosquitto.log');
  private child: ChildProcess | null = null;
  port = 0;
  tlsPort = 0;

  constructor(private readonly options: MosquittoOptions = {}) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** TLS URL by host name, so the certificate's DNS name is checked. */
  get tlsUrl(): string {
    return `mqtts://localhost:${this.tlsPort}`;
  }

  /**
   * Starts the broker. The first start takes free ports; one taken by someone else meanwhile
   * (freePort only finds a port free a moment before Mosquitto binds it; it looks below the
   * ephemeral range, but two runs can still pick one) makes Mosquitto exit with EADDRINUSE, and it is
   * started again on fresh ports. A restart keeps its ports, which tests and clients go on
   * using: it tries the same ones again a few times, a moment apart.
   */
  async start(): Promise<this> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed; install the Debian package: apt-get install -y mosquitto mosquitto-clients');
    const fresh = this.port === 0;
    for (let attempt = 1; ; attempt++) {
      if (fresh) {
        this.port = await freePort();
        if (this.options.tls) this.tlsPort = await freePort();
        this.writeConfig();
      }
      try {
        await this.launch(MOSQUITTO);
        return this;
      } catch (err) {
        if (attempt >= 5) throw err;
        if (!fresh) await sleep(500);
      }
    }
  }

  /** Runs Mosquitto on the config as written; resolves once it listens, else throws with it stopped. */
  private async launch(binary: string): Promise<void> {
    const logFrom = this.log().length;
    const child = spawn(binary, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.child = child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const log = this.log().slice(logFrom);
      // "running" comes once every listener is open: a port that accepts before that may be
      // someone else's, on a port Mosquitto is failing to bind.
      if (child.exitCode === null && child.signalCode === null && /mosquitto version \S+ running/.test(log) && (await accepts(this.port)) && (!this.tlsPort || (await accepts(this.tlsPort)))) return;
      const failed = child.exitCode !== null || child.signalCode !== null ? `mosquitto exited (${child.exitCode ?? child.signalCode})` : Date.now() > deadline ? 'mosquitto did not listen within 10 s' : null;
      if (failed) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        if (this.child === child) this.child = null;
        throw new Error(`${failed} on ports ${this.port}${this.tlsPort ? ` and ${this.tlsPort}` : ''}: ${this.log().slice(logFrom)}`);
      }
      await sleep(50);
    }
  }

  /** SIGTERM and wait: Mosquitto saves its persistence file on the way out. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** SIGHUP: Mosquitto reloads its config, its password file and its ACL file. */
  reload(): void {
    this.child?.kill('SIGHUP');
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  private writeConfig(): void {
    const o = this.options;
    const lines = [
      // Stay the current user: as root, mosquitto would switch to "mosquitto" and lose access to this directory.
      `user ${userInfo().username}`,
      'per_listener_settings false',
      `log_dest file ${this.logFile}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      `persistence ${o.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${this.dir}/`,
      'max_queued_messages 100000',
      'max_inflight_messages 100',
    ];
    if (o.users) {
      const pw = join(this.dir, 'passwd');
      writeFileSync(pw, '');
      for (const [user, pass] of Object.entries(o.users)) execFileSync('mosquitto_passwd', ['-b', pw, user, pass], { stdio: 'ignore' });
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else {
      lines.push('allow_anonymous true');
    }
    lines.push(...(o.extraConfig ?? []));
    lines.push(`listener ${this.port} 127.0.0.1`);
    if (o.tls) {
      lines.push(`listener ${this.tlsPort} 127.0.0.1`, `cafile ${o.tls.caCert}`, `certfile ${o.tls.serverCert}`, `keyfile ${o.tls.serverKey}`);
      lines.push(`require_certificate ${o.requireClientCert ? 'true' : 'false'}`);
    }
    writeFileSync(join(this.dir, 'mosquitto.conf'), lines.join('\n') + '\n');
  }
}
