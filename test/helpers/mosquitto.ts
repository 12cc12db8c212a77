import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { tempDir } from './paths.js';
import type { TestPki } from './tls.js';

export interface MosquittoOptions {
  /** Users for a password file (made with mosquitto_passwd); anonymous clients are refused when given. */
  users?: Record<string, string>;
  /** Adds a TLS listener with these certificates. */
  tls?: TestPki;
  /** Require a client certificate on the TLS listener. */
  requireClientCert?: boolean;
  /** Keep sessions and queued messages across restarts (saved at shutdown). Default true. */
  persistence?: boolean;
}

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

/** A free loopback TCP port (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with code ${child.exitCode}: ${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
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

  async start(): Promise<this> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed; install the Debian package: apt-get install -y mosquitto mosquitto-clients');
    if (this.port === 0) {
      this.port = await freePort();
      if (this.options.tls) this.tlsPort = await freePort();
      this.writeConfig();
    }
    const child = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.child = child;
    await waitForPort(this.port, 10_000, child, this.logFile);
    if (this.tlsPort) await waitForPort(this.tlsPort, 10_000, child, this.logFile);
    return this;
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
    lines.push(`listener ${this.port} 127.0.0.1`);
    if (o.tls) {
      lines.push(`listener ${this.tlsPort} 127.0.0.1`, `cafile ${o.tls.caCert}`, `certfile ${o.tls.serverCert}`, `keyfile ${o.tls.serverKey}`);
      lines.push(`require_certificate ${o.requireClientCert ? 'true' : 'false'}`);
    }
    writeFileSync(join(this.dir, 'mosquitto.conf'), lines.join('\n') + '\n');
  }
}
