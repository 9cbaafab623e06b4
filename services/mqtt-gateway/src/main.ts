import cluster from 'node:cluster';
import { runStandalone } from '@flotilla/service-kit';
import { runGatewayPrimary } from './cluster-primary.js';
import { checkedGatewayConfig } from './config.js';
import { startMqttGateway } from './service.js';

// GATEWAY_WORKERS > 1: this process forks the workers and serves HTTP; each worker (and a single
// process) runs the gateway itself. An invalid configuration is reported by runStandalone.
const parsed = cluster.isPrimary ? checkedGatewayConfig.safeParse(process.env) : undefined;
if (parsed?.success && parsed.data.GATEWAY_WORKERS > 1) await runGatewayPrimary(parsed.data);
else await runStandalone('mqtt-gateway', checkedGatewayConfig, (context, config) => startMqttGateway(context, config));
