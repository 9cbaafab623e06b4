import pg from 'pg';
import { assertSchemaName } from './create-db.js';

/** Describes why PostgreSQL could not be reached, in words a person can act on. */
export function describePgError(connectionString: string, error: unknown): string {
  const url = redactUrl(connectionString);
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `cannot reach PostgreSQL at ${url}: connection refused (is the server running?)`;
  if (code === 'ENOTFOUND') return `cannot reach PostgreSQL at ${url}: unknown host`;
  if (code === '28P01' || code === '28000') return `PostgreSQL at ${url} refused the credentials`;
  return `cannot use PostgreSQL at ${url}: ${(error as Error).message ?? String(error)}`;
}

/** The URL with any password replaced by `***`. */
export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Creates the database named in `connectionString` when it does not exist yet. */
export async function ensureDatabase(connectionString: string): Promise<void> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
  const admin = new URL(connectionString);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created concurrently by another service
      });
    }
  } catch (error) {
    throw new Error(describePgError(connectionString, error), { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    return await fn(client);
  } catch (error) {
    throw new Error(describePgError(connectionString, error), { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `schema` if needed (idempotent, also when services start at once). */
export function ensureSchema(connectionString: string, schema: string): Promise<void> {
  return withClient(connectionString, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(assertSchemaName(schema))}`).catch((error: { code?: string }) => {
      if (error.code !== '23505' && error.code !== '42P06') throw error;
    });
  });
}

/** Drops `schema` and everything in it. */
export function dropSchema(connectionString: string, schema: string): Promise<void> {
  return withClient(connectionString, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(assertSchemaName(schema))} CASCADE`);
  });
}
