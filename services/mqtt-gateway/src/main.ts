import { runStandalone } from '@flotilla/service-kit';
import { gatewayConfig } from './config.js';
import { startMqttGateway } from './service.js';

await runStandalone('mqtt-gateway', gatewayConfig, (context, config) => startMqttGateway(context, config));
