export { checkedGatewayConfig, checkTlsSettings, gatewayConfig } from './config.js';
export type { GatewayConfig } from './config.js';
export { APP_RETAINED_BUCKET, APPLICATION_CREDENTIALS_BUCKET, DEVICE_CREDENTIALS_BUCKET, PRESENCE_BUCKET, RETAINED_BUCKET, startMqttGateway } from './service.js';
export type { GatewaySettings, RunningGateway } from './service.js';
