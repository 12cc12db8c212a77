import type { Test } from 'tap';
import { MqttConnection } from '../../../daemon/mqtt/connection.js';
import { buildClientOptions } from '../../../daemon/mqtt/client-options.js';
import { silentLogger, type Logger } from '../../../daemon/log/logger.js';
import { mqttTestConfig } from './config.js';

/** The daemon's own MQTT connection class to `url` as `clientId`, with the test config's defaults; not started. */
export function testConnection(url: string, clientId: string, logger: Logger = silentLogger): MqttConnection {
  const config = mqttTestConfig({ url });
  return new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId }), reconnect: config.reconnect, logger });
}

/** testConnection, started, and stopped when the test ends. */
export async function connectTo(t: Test, url: string, clientId: string, logger: Logger = silentLogger): Promise<MqttConnection> {
  const connection = testConnection(url, clientId, logger);
  await connection.start();
  t.teardown(() => connection.stop());
  return connection;
}
