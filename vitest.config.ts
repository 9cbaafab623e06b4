import { defineConfig } from 'vitest/config';

// The servers every integration test talks to; CI and development machines run them locally.
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flotilla_test';

export default defineConfig({
  test: {
    include: ['{services,packages,test}/**/*.{unit,int,e2e}.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    provide: { natsUrl, databaseUrl },
  },
});
