import { Counter, Gauge, type Registry } from 'prom-client';

/** The gateway's Prometheus metrics. */
export function gatewayMetrics(registry: Registry) {
  return {
    connections: new Gauge({ name: 'flotilla_gateway_connections', help: 'Open authenticated MQTT connections', labelNames: ['dialect'], registers: [registry] }),
    messagesIn: new Counter({ name: 'flotilla_gateway_messages_in_total', help: 'PUBLISH packets received from clients', labelNames: ['qos'], registers: [registry] }),
    rejections: new Counter({ name: 'flotilla_gateway_rejections_total', help: 'Packets or connections refused, by reason', labelNames: ['reason'], registers: [registry] }),
    authFailures: new Counter({ name: 'flotilla_gateway_auth_failures_total', help: 'CONNECTs refused for their credentials', registers: [registry] }),
  };
}
/** Handles returned by {@link gatewayMetrics}. */
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
