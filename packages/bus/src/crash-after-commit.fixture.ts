// Runs the test projection in a child process and SIGKILLs itself right after the first COMMIT,
// before any ack: the window that exactly-once projection must survive.
import { createDb, type CheckpointTables } from '@flotilla/db';
import { connectBus } from './bus.js';
import { countersProjector, type CounterTables } from './test-projection.fixture.js';

const [NATS_URL, NAMESPACE, DATABASE_URL, SCHEMA] = ['NATS_URL', 'NAMESPACE', 'DATABASE_URL', 'SCHEMA'].map((name) => process.env[name] ?? '') as [string, string, string, string];
const bus = await connectBus({ servers: NATS_URL, namespace: NAMESPACE });
const db = createDb<CounterTables & CheckpointTables>({ connectionString: DATABASE_URL, schema: SCHEMA });
bus.consume(db, countersProjector, {
  afterCommit: (seqs) => {
    process.stdout.write(`committed ${seqs.join(',')}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
