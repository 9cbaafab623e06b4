import { parseConfig, runStandalone } from '@flotilla/service-kit';
import { gatewayConfig } from './config.js';
import { startMqttGateway } from './service.js';

const config = parseConfig(gatewayConfig, process.env);
await runStandalone('mqtt-gateway', config, (context) => startMqttGateway(context, config));
