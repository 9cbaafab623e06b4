import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

/** Options of {@link createDb}. */
export interface DbOptions {
  /** `postgres://user@host:port/database` */
  connectionString: string;
  /** The service's own schema; every connection of the pool has it as `search_path`. */
  schema: string;
  /** Connections in the pool. A projection holds one for its leader lock, so keep this ≥ 2. */
  poolSize: number;
  /** Shown in `pg_stat_activity`. */
  applicationName: string;
}

/** Defaults merged under the options passed to {@link createDb}. */
export function defaultDbOptions(): Pick<DbOptions, 'poolSize' | 'applicationName'> {
  return { poolSize: 10, applicationName: 'flotilla' };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws unless `schema` is a plain lower-case identifier (it is interpolated into DDL). */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME}`);
  return schema;
}

// int8 (bigint, e.g. stream sequences) as a JS number: sequences stay far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A kysely instance over a pg pool whose connections all use `options.schema` as search path. */
export function createDb<DB>(options: Partial<DbOptions> & Pick<DbOptions, 'connectionString' | 'schema'>): Kysely<DB> {
  const merged = { ...defaultDbOptions(), ...options };
  if (merged.poolSize < 2) throw new Error('poolSize must be at least 2: a projection keeps one connection for its leader lock');
  const pool = new pg.Pool({
    connectionString: merged.connectionString,
    max: merged.poolSize,
    application_name: merged.applicationName,
    options: `-c search_path=${assertSchemaName(merged.schema)}`,
    types,
  });
  // A server restart ends every connection. For idle clients the pool reports it here; a checked-out client
  // (a projection's leader lock holds one for as long as it leads) emits 'error' itself, and without a
  // listener that would crash the process. With these, the loss surfaces as a failed query, which callers
  // retry (the projection runner re-elects and rewinds).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
