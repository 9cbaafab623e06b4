import { createTestBus, testEnvironment, type TestBus } from '@flotilla/testing';
import pino from 'pino';
import { startMqttGateway, type GatewaySettings } from './service.js';

/** Device password of the test tenant `acme`. */
export const PASSWORD = 'correct-horse-battery';

/** A gateway on a free port over a bus of its own namespace. */
export async function startTestGateway(overrides: Partial<GatewaySettings> = {}) {
  const t: TestBus = await createTestBus(testEnvironment().natsUrl);
  const gateway = await startMqttGateway(
    { bus: t.bus, logger: pino({ level: 'silent' }), metrics: t.metrics, databaseUrl: testEnvironment().databaseUrl },
    {
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: 0,
      GATEWAY_ID: 'gw-test',
      GATEWAY_DEV_CREDENTIALS: `acme:${PASSWORD}`,
      MQTT_MAX_PACKET_SIZE: 4096,
      MQTT_CONNECT_TIMEOUT_MS: 1_000,
      MQTT_MAX_KEEPALIVE: 1_200,
      MQTT_RECEIVE_MAXIMUM: 10,
      ...overrides,
    },
  );
  return {
    ...t,
    gateway,
    port: gateway.port,
    /** Messages stored in the stream of `context` so far. */
    async count(context: 'geo' | 'devices'): Promise<number> {
      return (await t.bus.connection.jsm.streams.info(t.bus.names.stream(context))).state.messages;
    },
    async deadLetters() {
      const stream = t.bus.names.deadLetterStream();
      const { messages } = (await t.bus.connection.jsm.streams.info(stream)).state;
      const letters = [];
      for (let seq = 1; seq <= messages; seq++) letters.push(await t.bus.connection.jsm.streams.getMessage(stream, { seq }));
      return letters.map((m) => ({ payload: m!.string(), reason: m!.header.get('Flotilla-Dead-Letter-Reason'), topic: m!.header.get('Flotilla-Dead-Letter-Subject') }));
    },
    async stop() {
      await gateway.stop();
      await t.destroy();
    },
  };
}

/** A valid Flyve geolocation payload. */
export const position = (lat = 48.1054276, lon = -1.67820699, datetime = 1476345332) => JSON.stringify({ latitude: lat, longitude: lon, datetime });
