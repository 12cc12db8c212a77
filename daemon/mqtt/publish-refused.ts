import { ReasonCodes } from 'mqtt';

/**
 * The broker answered a publish with a failure reason code (an MQTT 5 PUBACK ≥ 0x80, such
 * as 0x87 Not authorized from an ACL): it was received and refused, not lost in transit.
 * MQTT 3.1.1 has no such answer; a broker there drops a refused publish in silence.
 */
export class PublishRefusedError extends Error {
  override readonly name = 'PublishRefusedError';
  /** The broker's reason in words ("Not authorized"). */
  readonly reason: string;

  constructor(
    readonly topic: string,
    /** The MQTT 5 reason code (MQTT 5 §3.4.2.1). */
    readonly code: number,
  ) {
    const reason = ReasonCodes[code as keyof typeof ReasonCodes] ?? `reason code ${code}`;
    super(`the broker refused a publish to ${topic}: ${reason} (reason code ${code})`);
    this.reason = reason;
  }
}

/** MQTT.js reports a PUBACK failure as an Error with the reason code as a number. */
export function brokerReasonCode(err: unknown): number | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}
