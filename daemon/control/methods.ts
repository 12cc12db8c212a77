/**
 * The one typed map of control methods: name → params and result. The daemon registers
 * a handler for each; the CLI and MQTT remote commands call them by name. Services add
 * their methods here as they gain CLI verbs.
 */
export interface ComponentStatus {
  name: string;
  state: string;
  detail?: string;
  /** What is wrong with it, when something is (ServiceState.problem). */
  problem?: string;
}

export interface StatusResult {
  site: string;
  version: string;
  pid: number;
  startedAt: string;
  uptimeSec: number;
  components: ComponentStatus[];
  /** No component has a problem. */
  healthy: boolean;
  /** Each component's problem, as `<component>: <problem>`. */
  problems: string[];
}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ControlMethods {
  status: { params: Record<string, never>; result: StatusResult };
}

export type MethodName = keyof ControlMethods;
export type ParamsOf<M extends MethodName> = ControlMethods[M]['params'];
export type ResultOf<M extends MethodName> = ControlMethods[M]['result'];
