export { gatewayConfig } from './config.js';
export type { GatewayConfig } from './config.js';
export { startMqttGateway } from './service.js';
export type { GatewaySettings } from './service.js';
