/**
 * What the controller needs from every service: a name for logs and status, `start()`
 * where work begins, `stop()` that releases every timer, listener and handle, and an
 * optional state for `earshot status`.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  state?(): { state: string; detail?: string };
  /** The longest its stop() may take, when that is more than the controller's default step. */
  stopBudgetMs?(): number;
}
