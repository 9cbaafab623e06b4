import type { Migrations } from '@flotilla/db';

/** The tasks schema's migrations, in order (its read models come with their features). */
export const migrations: Migrations = {};
