import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{services,packages,test}/**/*.{unit,int,e2e}.test.ts'],
    // Finds (or starts) the NATS and PostgreSQL every integration test talks to.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
