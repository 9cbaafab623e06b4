import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Connects an MQTT.js client and resolves once CONNACK accepted it; rejects with the refusal otherwise. */
export function connectMqtt(port: number, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    client.once('connect', () => {
      client.removeAllListeners('error');
      resolve(client);
    });
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

/** Ends clients without waiting for in-flight messages. */
export async function endAll(...clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((client) => client?.endAsync(true).catch(() => undefined)));
}
