import { ConfigError, createLogger, onShutdownSignal, parseConfig } from '@flotilla/service-kit';
import { Command } from 'commander';
import { platformConfig } from './platform-config.js';
import { startPlatform } from './platform.js';
import { registeredProjections } from './projections.js';
import { replayProjection } from './replay.js';
import { startupBanner } from './banner.js';

function fail(error: unknown): never {
  const message = error instanceof ConfigError ? error.message : `error: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const program = new Command('flotilla').description('Flotilla device-management platform');

program
  .command('start')
  .description('run every service in this process (MQTT gateway, HTTP API, projections)')
  .action(async () => {
    try {
      const config = parseConfig(platformConfig, process.env);
      const logger = createLogger({ name: 'flotilla', level: config.LOG_LEVEL });
      const platform = await startPlatform(config, logger);
      process.stdout.write(startupBanner(platform, config));
      onShutdownSignal(logger, () => platform.stop());
    } catch (error) {
      fail(error);
    }
  });

program
  .command('replay')
  .description('truncate a projection and rebuild it from stream sequence 1')
  .argument('<projection>', `one of: ${[...registeredProjections().keys()].join(', ')}`)
  .option('--timeout <seconds>', 'give up after this many seconds', '600')
  .action(async (name: string, options: { timeout: string }) => {
    try {
      const config = parseConfig(platformConfig, process.env);
      const logger = createLogger({ name: 'flotilla-replay', level: config.LOG_LEVEL });
      const { lastSeq } = await replayProjection({
        name,
        natsUrl: config.NATS_URL ?? 'nats://127.0.0.1:4222',
        databaseUrl: config.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flotilla',
        namespace: config.FLOTILLA_NAMESPACE,
        schemaPrefix: config.DB_SCHEMA_PREFIX,
        timeoutMs: Number(options.timeout) * 1000,
        logger,
      });
      process.stdout.write(`replayed ${name}: read model rebuilt up to stream sequence ${lastSeq}\n`);
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });

program
  .command('projections')
  .description('list the projections that replay accepts')
  .action(() => {
    for (const [name, { projection, schema }] of registeredProjections()) process.stdout.write(`${name}\tstream context ${projection.context}\tschema ${schema}\n`);
  });

await program.parseAsync(process.argv);
