import { EventEmitter } from 'node:events';

/**
 * The daemon's typed event bus. Services announce what happened (`emit`) and listen
 * (`on`) under an owner key so that `removeOwner` drops every listener a service added
 * when it stops — the zigbee2mqtt eventBus pattern. Event names and payload types live in
 * one map; services extend it by declaration merging in their own module:
 *
 *   declare module '../bus.js' { interface BusEvents { transcript: Transcript } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface BusEvents {
  /** A component changed state (for `earshot status` and the MQTT status topic). */
  componentState: { component: string; state: string; detail?: string };
}

type Listener<T> = (payload: T) => void;

export class EventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private readonly owned = new Map<object, Array<{ event: string; fn: (p: unknown) => void }>>();

  constructor() {
    // Many services listen to the same few events; the default warning at 10 is noise here.
    this.emitter.setMaxListeners(100);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.emitter.emit(event as string, payload);
  }

  on<K extends keyof BusEvents>(owner: object, event: K, listener: Listener<BusEvents[K]>): void {
    const fn = listener as (p: unknown) => void;
    this.emitter.on(event as string, fn);
    const list = this.owned.get(owner) ?? [];
    list.push({ event: event as string, fn });
    this.owned.set(owner, list);
  }

  removeOwner(owner: object): void {
    for (const { event, fn } of this.owned.get(owner) ?? []) this.emitter.off(event, fn);
    this.owned.delete(owner);
  }

  listenerCount<K extends keyof BusEvents>(event: K): number {
    return this.emitter.listenerCount(event as string);
  }
}
