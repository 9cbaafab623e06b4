import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@flotilla/service-kit';
import { checkedGatewayConfig } from './config.js';

describe('gateway configuration', () => {
  it('has working defaults: TCP on 1883, no TLS or WebSocket', () => {
    const config = parseConfig(checkedGatewayConfig, {});
    expect(config).toMatchObject({ MQTT_PORT: 1883, MQTT_TLS_CLIENT_CERTS: false, MQTT_DEVICE_MESSAGE_RATE: '200:1,6000:60', MQTT_MAX_PACKET_SIZE: 132_096 });
    expect(config.MQTT_TLS_PORT).toBeUndefined();
    expect(config.MQTT_WS_PORT).toBeUndefined();
  });

  it('requires a certificate and key for TLS, and a CA when client certificates are required', () => {
    expect(() => parseConfig(checkedGatewayConfig, { MQTT_TLS_PORT: '8883' })).toThrow(/MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE are required/);
    expect(() => parseConfig(checkedGatewayConfig, { MQTT_WSS_PORT: '8084', MQTT_TLS_CERT_FILE: 'c.pem' })).toThrow(ConfigError);
    expect(() => parseConfig(checkedGatewayConfig, { MQTT_TLS_PORT: '8883', MQTT_TLS_CERT_FILE: 'c.pem', MQTT_TLS_KEY_FILE: 'k.pem', MQTT_TLS_CLIENT_CERTS: 'true' })).toThrow(/MQTT_TLS_CA_FILE is required/);
    expect(parseConfig(checkedGatewayConfig, { MQTT_TLS_PORT: '8883', MQTT_TLS_CERT_FILE: 'c.pem', MQTT_TLS_KEY_FILE: 'k.pem', MQTT_TLS_CLIENT_CERTS: 'true', MQTT_TLS_CA_FILE: 'ca.pem' })).toMatchObject({ MQTT_TLS_PORT: 8883, MQTT_TLS_CLIENT_CERTS: true });
  });

  it('refuses a malformed rate limit, naming the variable', () => {
    expect(() => parseConfig(checkedGatewayConfig, { MQTT_DEVICE_MESSAGE_RATE: '100/s' })).toThrow(/MQTT_DEVICE_MESSAGE_RATE: expected capacity:seconds/);
  });
});
