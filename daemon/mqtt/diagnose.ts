/**
 * Turns a connection failure into a sentence naming the layer that failed (DNS, TCP, TLS,
 * auth) and what to check — used by the connection's lastError and by `earshot mqtt test`.
 */
export type FailureLayer = 'config' | 'dns' | 'tcp' | 'tls' | 'auth' | 'protocol' | 'timeout';

export interface Diagnosis {
  layer: FailureLayer;
  message: string;
  hint: string;
}

const TLS_CODES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the broker certificate is not signed by the configured CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'the broker certificate chain ends in a CA that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the broker certificate is self-signed and not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the broker certificate is not in the configured CA',
  CERT_HAS_EXPIRED: 'the broker certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the broker certificate does not name the host in the URL',
};

/**
 * MQTT.js's error (reason code 149, Packet too large) when the broker sends a packet over the
 * Maximum Packet Size the client announced: it drops the connection then (MQTT 5 §3.1.2.25).
 */
const OVERSIZE_FROM_BROKER = /^exceeding packets size \w+: (\d+) bytes, maximumPacketSize is (\d+)/;

/** Whether MQTT.js dropped the connection because the broker sent a packet over our announced maximum. */
export function isOversizeFromBroker(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 149 && typeof e.message === 'string' && OVERSIZE_FROM_BROKER.test(e.message);
}

/** CONNACK reason codes (MQTT 5 §3.2.2.2 and MQTT 3.1.1 return codes 1-5). */
const CONNACK_AUTH = new Set([4, 5, 134, 135, 140]);

export function diagnoseConnectError(err: unknown, url: string): Diagnosis {
  const e = err as NodeJS.ErrnoException & { code?: string | number; reason?: string };
  const text = e?.message ?? String(err);
  const code = e?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { layer: 'dns', message: `DNS: cannot resolve the broker host in ${url} (${text})`, hint: 'check the host name in mqtt.url and the DNS setup of this box' };
  }
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return { layer: 'tcp', message: `TCP: cannot reach the broker at ${url} (${text})`, hint: 'check that the broker runs and listens on that port, and any firewall in between' };
  }
  // A reset (or a write into a closed socket) needs an open connection: the broker was
  // reached, and it (or something in between) then closed the connection on us.
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return {
      layer: 'protocol',
      message: `connection closed by the broker at ${url} after it was open (${text})`,
      hint: "the broker's log says why: often a packet over its maximum packet size (Mosquitto: max_packet_size), a policy or ACL that disconnects, or a TLS port reached with mqtt://; less often a proxy or firewall that resets connections",
    };
  }
  const oversize = isOversizeFromBroker(err) ? OVERSIZE_FROM_BROKER.exec(text) : null;
  if (oversize) {
    return {
      layer: 'protocol',
      message: `the broker at ${url} sent a ${oversize[1]}-byte packet, over the Maximum Packet Size of ${oversize[2]} bytes this daemon announced; the connection was dropped unread`,
      hint: 'a broker that follows MQTT 5 drops such messages for us instead: check the broker (its version, or a bridge or plugin that forwards messages); reconnects wait longer each time it happens again',
    };
  }
  // mqtt-packet refuses a PUBACK whose reason code MQTT 5 §3.4.2.1 does not list for it, and
  // the packets read with it are lost: their publishes wait for a PUBACK until the next
  // reconnect. (Failure codes, such as Mosquitto's 0x95 for a message over its
  // message_size_limit, are taken as the refusals they are: broker-refusal-acks.ts; what is
  // left here is a success code MQTT 5 does not define.)
  const badAck = /^Invalid (puback|pubrec) reason code/.exec(text);
  if (badAck) {
    return {
      layer: 'protocol',
      message: `the broker at ${url} answered a publish with a ${badAck[1]!.toUpperCase()} reason code MQTT 5 does not allow there; that answer and those read with it were lost, so some transcripts wait for an acknowledgement until the next reconnect`,
      hint: 'check the broker (its version, or a plugin that answers publishes); MQTT 3.1.1 (mqtt.protocolVersion 4) has no reason codes to get wrong',
    };
  }
  if (typeof code === 'string' && (code in TLS_CODES || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT/.test(code))) {
    return { layer: 'tls', message: `TLS: ${TLS_CODES[code] ?? 'handshake failed'} (${code}: ${text})`, hint: 'check mqtt.tls.ca (the CA that signed the broker certificate), mqtt.tls.cert/key and the host name in mqtt.url' };
  }
  if (/ssl|tls|certificate|handshake/i.test(text)) {
    return { layer: 'tls', message: `TLS: handshake failed (${text})`, hint: 'check mqtt.tls.ca, mqtt.tls.cert/key, and that the URL uses mqtts:// for a TLS port' };
  }
  if ((typeof code === 'number' && CONNACK_AUTH.has(code)) || /not authori[sz]ed|bad user ?name or password/i.test(text)) {
    return { layer: 'auth', message: `auth: the broker refused the credentials (${text})`, hint: 'check mqtt.username and the password in mqtt.passwordFile, and the broker ACL' };
  }
  if (/timeout|timed out/i.test(text)) {
    return { layer: 'timeout', message: `timeout: no answer from the broker at ${url} (${text})`, hint: 'check the port (a TLS port needs mqtts://) and the network' };
  }
  if (typeof code === 'number') {
    return { layer: 'protocol', message: `MQTT: the broker refused the connection (code ${code}: ${text})`, hint: 'check mqtt.protocolVersion and mqtt.clientId' };
  }
  return { layer: 'tcp', message: `connection to ${url} failed (${text})`, hint: 'check mqtt.url and that the broker runs' };
}
