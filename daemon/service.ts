/** A service's line in `earshot status`. */
export interface ServiceState {
  state: string;
  detail?: string;
  /**
   * What is wrong that an operator should mend, when something is (a source failed, the
   * model cannot be loaded, the broker is out of reach): `earshot status --check` fails on it.
   */
  problem?: string;
}

/**
 * What the controller needs from every service: a name for logs and status, `start()`
 * where work begins, `stop()` that releases every timer, listener and handle, and an
 * optional state for `earshot status`.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  state?(): ServiceState;
  /** The longest its stop() may take, when that is more than the controller's default step. */
  stopBudgetMs?(): number;
}
