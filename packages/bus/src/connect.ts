import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusConnectionError } from './errors.js';
import { defaultBusOptions, validateBusOptions, type BusOptions } from './options.js';

/** A live NATS connection with its JetStream handles. */
export interface Connection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  options: BusOptions;
}

function describe(servers: string | string[]): string {
  return Array.isArray(servers) ? servers.join(', ') : servers;
}

/**
 * Connects to NATS, retrying for `connectTimeoutMs`, then checks that JetStream is enabled. Errors say
 * which URL failed and why. After the first connection the client reconnects forever.
 */
export async function connectNats(input: Partial<BusOptions> & Pick<BusOptions, 'servers'>): Promise<Connection> {
  const options = validateBusOptions({ ...defaultBusOptions(), ...input });
  const deadline = Date.now() + options.connectTimeoutMs;
  let nc: NatsConnection | undefined;
  for (let attempt = 0; !nc; attempt++) {
    try {
      // noAsyncTraces: capturing a stack for every request's possible timeout cost a quarter of the
      // gateway's CPU per message; errors still say what failed.
      nc = await connect({ servers: options.servers, name: options.name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 2_000, noAsyncTraces: true });
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new BusConnectionError(`cannot reach NATS at ${describe(options.servers)}: ${(error as Error).message} (is nats-server running?)`, { cause: error });
      }
      options.logger.warn({ attempt, err: (error as Error).message }, 'NATS not reachable yet, retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 2_000)));
    }
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    return { nc, js: jetstream(nc, { timeout: 5_000 }), jsm, options };
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw new BusConnectionError(
      `JetStream is not enabled on the NATS server at ${describe(options.servers)}: start it with 'nats-server -js' (${(error as Error).message})`,
      { cause: error },
    );
  }
}
