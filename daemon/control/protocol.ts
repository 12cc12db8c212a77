/**
 * The control protocol: newline-delimited JSON over a local unix stream socket.
 *
 *   request:  {"id": 7, "method": "status", "params": {}}
 *   reply:    {"id": 7, "status": "ok", "data": {...}}
 *             {"id": 7, "status": "error", "error": {"code": "...", "message": "...", "hint": "..."}}
 *
 * One reply per request, in the order received. The same envelope is used for MQTT
 * remote-command replies.
 */
export interface ControlRequest {
  id: string | number;
  method: string;
  params?: unknown;
}

export interface ControlErrorBody {
  code: ControlErrorCode;
  message: string;
  hint?: string;
}

/** Every error code a reply may carry, on the socket and in MQTT replies (schemas/reply.schema.json lists the same). */
export const CONTROL_ERROR_CODES = ['bad_request', 'too_large', 'unknown_method', 'invalid_params', 'timeout', 'failed', 'unavailable'] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

export function isControlErrorCode(code: unknown): code is ControlErrorCode {
  return (CONTROL_ERROR_CODES as readonly unknown[]).includes(code);
}

export type ControlReply<T = unknown> =
  | { id: string | number | null; status: 'ok'; data: T }
  | { id: string | number | null; status: 'error'; error: ControlErrorBody };

/** An error a handler throws to send a specific code and hint back to the caller. */
export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }

  toBody(): ControlErrorBody {
    return this.hint ? { code: this.code, message: this.message, hint: this.hint } : { code: this.code, message: this.message };
  }
}

export function parseRequest(line: string): ControlRequest | ControlError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return new ControlError('bad_request', 'request is not valid JSON', 'send one JSON object per line: {"id":1,"method":"status"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new ControlError('bad_request', 'request must be a JSON object');
  }
  const { id, method, params } = value as Record<string, unknown>;
  if (typeof id !== 'string' && typeof id !== 'number') return new ControlError('bad_request', 'request "id" must be a string or number');
  if (typeof method !== 'string' || !/^[a-z][A-Za-z0-9.]{0,63}$/.test(method)) {
    return new ControlError('bad_request', 'request "method" must be a method name such as "status"');
  }
  return params === undefined ? { id, method } : { id, method, params };
}

/** The error envelope for `err`: a ControlError keeps its code and hint, anything else is `failed`. */
export function errorReply(id: string | number | null, err: unknown): ControlReply {
  const body = err instanceof ControlError ? err.toBody() : { code: 'failed' as const, message: err instanceof Error ? err.message : String(err) };
  return { id, status: 'error', error: body };
}
