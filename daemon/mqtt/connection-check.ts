import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import mqtt from 'mqtt';
import type { MqttConfig } from './config.js';
import { buildClientOptions, defaultClientId, effectiveConfig } from './client-options.js';
import { diagnoseConnectError, type Diagnosis } from './diagnose.js';

export type CheckStep = 'config' | 'dns' | 'tcp' | 'tls' | 'mqtt';

export interface StepResult {
  step: CheckStep;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface ConnectionCheckResult {
  ok: boolean;
  url: string;
  steps: StepResult[];
  /** The first failure, by layer, with what to check. */
  failure: Diagnosis | null;
}

export interface ConnectionCheckOptions {
  config: MqttConfig;
  siteId: string;
  timeoutMs: number;
}

/** The URL the daemon would use: `mqtt.url`, or the embedded broker's listen address. */
export function configuredBrokerUrl(config: MqttConfig): string {
  if (config.url) return config.url;
  const host = config.embedded.host.includes(':') ? `[${config.embedded.host}]` : config.embedded.host;
  return `mqtt://${host}:${config.embedded.port}`;
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}

function withTimeout<T>(what: string, ms: number, run: (done: (err: Error | null, value?: T) => void) => () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let cleanup: () => void = () => undefined;
    const timer = setTimeout(() => {
      cleanup();
      reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' }));
    }, ms);
    cleanup = run((err, value) => {
      clearTimeout(timer);
      cleanup();
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

/**
 * `earshot mqtt test`: connects with the configured settings one layer at a time (DNS, TCP,
 * TLS, MQTT CONNECT with credentials) so the answer names the layer that fails instead of a
 * bare "connection refused". Uses its own client id (`<id>-test`) so it never takes over
 * the daemon's session.
 */
export async function checkBrokerConnection(options: ConnectionCheckOptions): Promise<ConnectionCheckResult> {
  const { timeoutMs } = options;
  const config = effectiveConfig(options.config);
  const url = configuredBrokerUrl(config);
  const steps: StepResult[] = [];
  const fail = (step: CheckStep, start: number, err: unknown): ConnectionCheckResult => {
    const failure = step === 'config' ? { layer: 'config' as const, message: (err as Error).message, hint: 'fix the mqtt section of the config' } : diagnoseConnectError(err, url);
    steps.push({ step, ok: false, ms: elapsed(start), detail: failure.message });
    return { ok: false, url, steps, failure };
  };

  let t0 = performance.now();
  let parsed: URL;
  let clientOptions: ReturnType<typeof buildClientOptions>;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') throw new Error(`mqtt.url ${url}: scheme must be mqtt:// or mqtts://`);
    clientOptions = buildClientOptions({ config, url, clientId: defaultClientId(config, options.siteId, '-test') });
  } catch (err) {
    return fail('config', t0, err);
  }
  steps.push({ step: 'config', ok: true, ms: elapsed(t0), detail: `broker ${url}` });
  const tlsOn = parsed.protocol === 'mqtts:';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : tlsOn ? 8883 : 1883;

  t0 = performance.now();
  let address = host;
  if (!isIP(host)) {
    try {
      address = (await lookup(host)).address;
    } catch (err) {
      return fail('dns', t0, err);
    }
  }
  steps.push({ step: 'dns', ok: true, ms: elapsed(t0), detail: isIP(host) ? `${host} is an address` : `${host} → ${address}` });

  t0 = performance.now();
  try {
    await withTimeout<void>('TCP connect', timeoutMs, (done) => {
      const sock = netConnect({ host: address, port });
      sock.once('connect', () => done(null));
      sock.once('error', (err) => done(err));
      return () => sock.destroy();
    });
  } catch (err) {
    return fail('tcp', t0, err);
  }
  steps.push({ step: 'tcp', ok: true, ms: elapsed(t0), detail: `${address}:${port} accepts connections` });

  if (tlsOn) {
    t0 = performance.now();
    try {
      const tlsOptions: ConnectionOptions = { host: address, port, rejectUnauthorized: clientOptions.rejectUnauthorized ?? true };
      if (!isIP(host)) tlsOptions.servername = host;
      if (clientOptions.ca) tlsOptions.ca = clientOptions.ca as Buffer;
      if (clientOptions.cert) tlsOptions.cert = clientOptions.cert as Buffer;
      if (clientOptions.key) tlsOptions.key = clientOptions.key as Buffer;
      const detail = await withTimeout<string>('TLS handshake', timeoutMs, (done) => {
        // Connect by the URL's host so the certificate is checked against that name, as MQTT.js does.
        const sock = tlsConnect({ ...tlsOptions, host });
        sock.once('secureConnect', () => {
          const cert = sock.getPeerCertificate();
          done(null, `${sock.getProtocol() ?? 'TLS'}, broker certificate CN=${cert?.subject?.CN ?? '?'} issued by ${cert?.issuer?.CN ?? '?'}${sock.authorized ? '' : ' (NOT verified: rejectUnauthorized is off)'}`);
        });
        sock.once('error', (err) => done(err));
        return () => sock.destroy();
      });
      steps.push({ step: 'tls', ok: true, ms: elapsed(t0), detail });
    } catch (err) {
      return fail('tls', t0, err);
    }
  }

  t0 = performance.now();
  try {
    const client = await mqtt.connectAsync(url, { ...clientOptions, clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs, properties: undefined, will: undefined }, false);
    const version = client.options.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
    await client.endAsync();
    steps.push({ step: 'mqtt', ok: true, ms: elapsed(t0), detail: `${version} CONNECT accepted${clientOptions.username ? ` for user ${clientOptions.username}` : ''}` });
  } catch (err) {
    return fail('mqtt', t0, err);
  }
  return { ok: true, url, steps, failure: null };
}
