import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  json<T = unknown>(): T;
}

/** A plain MQTT.js subscriber over TCP, as a dashboard would be; collects what it receives. */
export class TestSubscriber {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain, json: <T>() => JSON.parse(payload.toString('utf8')) as T });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(url: string, topics: string | string[], options: IClientOptions = {}): Promise<TestSubscriber> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...options });
    const sub = new TestSubscriber(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return sub;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits until `predicate` holds over the messages received so far. */
  async waitFor(predicate: (messages: Received[]) => boolean, timeoutMs = 5000, what = 'messages'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.messages.length} messages`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
