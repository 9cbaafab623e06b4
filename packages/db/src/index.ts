export { assertSchemaName, createDb, defaultDbOptions } from './create-db.js';
export type { DbOptions } from './create-db.js';
export { describePgError, dropSchema, ensureDatabase, ensureSchema, redactUrl } from './database.js';
export { advanceCheckpoint, checkpointMigration, lockCheckpoint, readCheckpoint, resetCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointTables, ProjectionCheckpointTable } from './checkpoint.js';
export { migrateToLatest } from './migrate.js';
export type { Migrations } from './migrate.js';
export { inTransaction } from './transaction.js';
