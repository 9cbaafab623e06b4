import { createTenantWith } from '@flotilla/inventory';
import { ConfigError, createLogger, onShutdownSignal, parseConfig } from '@flotilla/service-kit';
import { Command } from 'commander';
import { platformConfig } from './platform-config.js';
import { startPlatform } from './platform.js';
import { registeredProjections } from './projections.js';
import { replayProjection } from './replay.js';
import { startupBanner } from './banner.js';
import { addApplication, addFlyveDevice, revokeApplication, revokeFlyveDevice, withBus } from './device-credentials.js';
import { runSimulation, type SimulateCommandOptions } from './simulate-command.js';

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

program
  .command('tenant')
  .description('manage tenants')
  .command('add')
  .description('create a tenant and print its first admin API key, once')
  .requiredOption('--id <tenant>', 'tenant id (the Flyve entity in device topics): lower-case letters, digits, - and _')
  .option('--name <name>', 'display name (the id by default)')
  .action(async (options: { id: string; name?: string }) => {
    try {
      if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(options.id)) throw new Error('a tenant id is 1-63 lower-case letters, digits, - and _');
      const created = await withBus(target(), async (bus) => {
        await bus.ensureStreams(['identity']);
        return createTenantWith(bus, options.id, options.name ?? options.id);
      });
      process.stdout.write(`tenant ${created.tenant} created; its admin API key (shown once, keep it):\n${created.key}\n`);
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });

const device = program.command('device').description('issue or revoke device credentials (until enrollment issues them)');
const target = () => {
  const config = parseConfig(platformConfig, process.env);
  return { natsUrl: config.NATS_URL ?? 'nats://127.0.0.1:4222', namespace: config.FLOTILLA_NAMESPACE };
};
device
  .command('add')
  .description('issue an MQTT credential for a Flyve agent; prints its password once')
  .requiredOption('--tenant <tenant>', 'tenant (Flyve entity) of the device')
  .requiredOption('--serial <serial>', 'device serial, the MQTT username')
  .option('--fleet <fleet>', 'fleet whose topics the device follows')
  .action(async (options: { tenant: string; serial: string; fleet?: string }) => {
    try {
      const password = await addFlyveDevice(target(), options.tenant, options.serial, options.fleet ?? null);
      process.stdout.write(`device ${options.serial} of tenant ${options.tenant}: MQTT username ${options.serial}, password ${password}\n(the password is not stored anywhere; keep it now)\n`);
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });
device
  .command('revoke')
  .description("revoke a Flyve agent's credential; connected gateways disconnect it at once")
  .requiredOption('--serial <serial>', 'device serial')
  .action(async (options: { serial: string }) => {
    try {
      const revoked = await revokeFlyveDevice(target(), options.serial);
      process.stdout.write(revoked ? `revoked ${options.serial}\n` : `no credential for ${options.serial}\n`);
      process.exit(revoked ? 0 : 1);
    } catch (error) {
      fail(error);
    }
  });

const filters = (value: string | undefined) => (value ? value.split(',').map((filter) => filter.trim()).filter(Boolean) : []);
const application = program.command('application').description('issue or revoke credentials of applications (MQTT clients that are not devices)');
application
  .command('add')
  .description("issue an application's MQTT credential with its topic rules; prints its password once")
  .requiredOption('--tenant <tenant>', 'tenant whose topic tree the application uses')
  .requiredOption('--id <id>', 'application id, the MQTT username')
  .option('--publish <filters>', 'comma-separated topic filters it may publish to', '#')
  .option('--subscribe <filters>', 'comma-separated topic filters it may subscribe to ($flotilla/events/# for device events)', '#,$flotilla/events/#')
  .option('--deny-publish <filters>', 'comma-separated filters refused even inside --publish')
  .option('--deny-subscribe <filters>', 'comma-separated filters refused even inside --subscribe')
  .option('--client-id <clientId>', 'the only client id it may connect with')
  .action(async (options: { tenant: string; id: string; publish: string; subscribe: string; denyPublish?: string; denySubscribe?: string; clientId?: string }) => {
    try {
      const publish = { allow: filters(options.publish), deny: filters(options.denyPublish) };
      const subscribe = { allow: filters(options.subscribe), deny: filters(options.denySubscribe) };
      const password = await addApplication(target(), options.tenant, options.id, publish, subscribe, options.clientId ?? null);
      process.stdout.write(`application ${options.id} of tenant ${options.tenant}: MQTT username ${options.id}, password ${password}\n(the password is not stored anywhere; keep it now)\n`);
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });
application
  .command('revoke')
  .description("revoke an application's credential; its connections are closed at once")
  .requiredOption('--id <id>', 'application id')
  .action(async (options: { id: string }) => {
    try {
      const revoked = await revokeApplication(target(), options.id);
      process.stdout.write(revoked ? `revoked ${options.id}\n` : `no credential for ${options.id}\n`);
      process.exit(revoked ? 0 : 1);
    } catch (error) {
      fail(error);
    }
  });

program
  .command('simulate')
  .description('run simulated Flyve agents against a gateway: they report positions, answer commands and report policy tasks, as real agents do')
  .option('--host <host>', 'gateway host', '127.0.0.1')
  .option('--port <port>', 'gateway MQTT port', '1883')
  .option('--tenant <tenant>', 'tenant (Flyve entity) of the agents', 'demo')
  .option('--count <n>', 'agents to run (with --password)', '10')
  .option('--serial-prefix <prefix>', 'serials are <prefix>1…<prefix>n (with --password)', 'sim-')
  .option('--password <password>', 'a password every serial shares (e.g. the development one in .flotilla/dev-credentials.json)')
  .option('--credentials <file>', 'JSON [{"serial","password","tenant"?}] instead of --count/--password')
  .option('--enroll-api <url>', 'enroll each agent first through this API base (e.g. http://127.0.0.1:8080/api/v1): an invitation, then its enrollment; uses --count/--serial-prefix')
  .option('--api-key <key>', 'operator key that may invite (with --enroll-api)')
  .option('--email <email>', 'invited e-mail of the enrolled agents (with --enroll-api)', 'simulated@example.com')
  .option('--format <format>', 'spec (flyve-mdm.md §A, MQTT 3.1.1, QoS 2 subscriptions) or legacy (§B, 2018 agents: MQTT 3.1, per-task topics)', 'spec')
  .option('--position-interval-ms <ms>', 'each agent reports a position this often (0: only when asked)', '10000')
  .option('--duration-s <s>', 'stop after this long (0: at Ctrl-C)', '0')
  .option('--connect-concurrency <n>', 'agents connecting at once', '100')
  .option('--seed <n>', 'seed of the positions, to repeat a run', '1')
  .option('--report <file>', "write every agent's report (what it received and sent) to this JSON file")
  .action(async (options: SimulateCommandOptions) => {
    try {
      await runSimulation(options);
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });

await program.parseAsync(process.argv);
