import { runStandalone } from '@flotilla/service-kit';
import { checkedGatewayConfig } from './config.js';
import { startMqttGateway } from './service.js';

await runStandalone('mqtt-gateway', checkedGatewayConfig, (context, config) => startMqttGateway(context, config));
