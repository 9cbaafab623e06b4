import type { ApplicationCredential, DeviceCredential } from '@flotilla/contracts';
import { credentialKey, generateSecret, hashGeneratedSecret } from '@flotilla/credentials';
import { startServiceInProcess } from '@flotilla/testing';
import { APPLICATION_CREDENTIALS_BUCKET, DEVICE_CREDENTIALS_BUCKET, startMqttGateway, type GatewaySettings } from './service.js';

/** Largest MQTT packet of a test gateway (also the WebSocket frame limit in tests). */
export const TEST_MAX_PACKET_SIZE = 4096;

/** Device password of the test tenant `acme`. */
export const PASSWORD = 'correct-horse-battery';

/** A gateway on a free port over a bus of its own namespace. */
export async function startTestGateway(overrides: Partial<GatewaySettings> = {}, namespace?: string) {
  const t = await startServiceInProcess((context) =>
    startMqttGateway(context, {
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: 0,
      GATEWAY_ID: 'gw-test',
      GATEWAY_DEV_CREDENTIALS: `acme:${PASSWORD}`,
      MQTT_MAX_PACKET_SIZE: TEST_MAX_PACKET_SIZE,
      MQTT_CONNECT_TIMEOUT_MS: 1_000,
      MQTT_MAX_KEEPALIVE: 1_200,
      MQTT_RECEIVE_MAXIMUM: 10,
      // Tests reconnect the same clients many times on purpose; flapping detection is tested on its own.
      MQTT_RECONNECT_RATE: '',
      ...overrides,
    }),
    namespace ? { namespace } : {},
  );
  const { jsm } = t.bus.connection;
  const buckets = await t.bus.ensureBuckets([{ name: DEVICE_CREDENTIALS_BUCKET }, { name: APPLICATION_CREDENTIALS_BUCKET }]);
  const credentials = buckets.get(DEVICE_CREDENTIALS_BUCKET)!;
  const applications = buckets.get(APPLICATION_CREDENTIALS_BUCKET)!;
  return {
    ...t,
    port: t.service.port,
    /** Writes a device credential as inventory does. */
    async putCredential(key: string, record: Omit<DeviceCredential, 'version' | 'issuedAt' | 'revoked' | 'fleet' | 'clientId' | 'username'> & Partial<DeviceCredential>) {
      const full: DeviceCredential = { version: 1, issuedAt: new Date(), revoked: false, fleet: null, clientId: null, username: null, ...record };
      await credentials.put(key, JSON.stringify(full));
      return full;
    },
    /** Writes an application's credential (username = `applicationId`) and returns its password. */
    async putApplication(tenant: string, applicationId: string, rules: Partial<Pick<ApplicationCredential, 'publish' | 'subscribe' | 'clientId' | 'revoked'>> = {}) {
      const password = generateSecret();
      const record: ApplicationCredential = {
        version: 1,
        tenant,
        applicationId,
        clientId: null,
        secret: hashGeneratedSecret(password),
        publish: { allow: ['#'], deny: [] },
        subscribe: { allow: ['#', '$flotilla/events/#'], deny: [] },
        revoked: false,
        issuedAt: new Date(),
        ...rules,
      };
      await applications.put(credentialKey.application(applicationId), JSON.stringify(record));
      return { username: applicationId, password };
    },
    /** Messages stored in the stream of `context` so far. */
    async count(context: 'geo' | 'devices'): Promise<number> {
      return (await jsm.streams.info(t.bus.names.stream(context))).state.messages;
    },
    /** Every event stored so far in the stream of `context`, optionally of one type, parsed. */
    async events(context: 'geo' | 'devices', type?: string) {
      const stream = t.bus.names.stream(context);
      const { first_seq: first, last_seq: last } = (await jsm.streams.info(stream)).state;
      const found: { type: string; subjectId: string; data: Record<string, unknown> }[] = [];
      for (let seq = Math.max(first, 1); seq <= last; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        const event = message?.json<{ type: string; subjectId: string; data: Record<string, unknown> }>();
        if (event && (type === undefined || event.type === type)) found.push(event);
      }
      return found;
    },
    /** Every dead letter so far: payload, reason and MQTT topic. */
    async deadLetters() {
      const stream = t.bus.names.deadLetterStream();
      const { messages } = (await jsm.streams.info(stream)).state;
      const letters = [];
      for (let seq = 1; seq <= messages; seq++) letters.push(await jsm.streams.getMessage(stream, { seq }));
      return letters.map((m) => ({ payload: m!.string(), reason: m!.header.get('Flotilla-Dead-Letter-Reason'), topic: m!.header.get('Flotilla-Dead-Letter-Subject') }));
    },
  };
}

/** A valid Flyve geolocation payload. */
export const position = (lat = 48.1054276, lon = -1.67820699, datetime = 1476345332) => JSON.stringify({ latitude: lat, longitude: lon, datetime });
