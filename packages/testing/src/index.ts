export { createTestBus, deleteNamespace, uniqueName } from '@flotilla/bus/testing';
export type { TestBus } from '@flotilla/bus/testing';
export { createTestSchema } from '@flotilla/db/testing';
export type { TestSchema } from '@flotilla/db/testing';
export { testEnvironment } from './environment.js';
export { connectMqtt, endAll } from './mqtt.js';
export { loadRecordedStream } from './recorded-streams.js';
export type { RecordedLine } from './recorded-streams.js';
export { waitFor } from './wait.js';
