import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** NATS with JetStream that tests use (from NATS_URL, default nats://127.0.0.1:4222). */
    natsUrl: string;
    /** PostgreSQL database tests create their schemas in (from TEST_DATABASE_URL). */
    databaseUrl: string;
  }
}

/** The servers the test run uses, as provided by the root vitest config. */
export function testEnvironment(): { natsUrl: string; databaseUrl: string } {
  return { natsUrl: inject('natsUrl'), databaseUrl: inject('databaseUrl') };
}
