import type { Kysely, Transaction } from 'kysely';

/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
export function inTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
