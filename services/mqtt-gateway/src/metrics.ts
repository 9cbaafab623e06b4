import { Counter, Gauge, type Registry } from 'prom-client';

function once<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** The gateway's Prometheus metrics, registered once per registry. */
export function gatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: once(registry, 'flotilla_gateway_connections', () => new Gauge({ name: 'flotilla_gateway_connections', help: 'Open authenticated MQTT connections', labelNames: ['dialect'], registers })),
    messagesIn: once(registry, 'flotilla_gateway_messages_in_total', () => new Counter({ name: 'flotilla_gateway_messages_in_total', help: 'PUBLISH packets received from clients', labelNames: ['qos'], registers })),
    rejections: once(registry, 'flotilla_gateway_rejections_total', () => new Counter({ name: 'flotilla_gateway_rejections_total', help: 'Packets or connections refused, by reason', labelNames: ['reason'], registers })),
    authFailures: once(registry, 'flotilla_gateway_auth_failures_total', () => new Counter({ name: 'flotilla_gateway_auth_failures_total', help: 'CONNECTs refused for their credentials', registers })),
  };
}
/** Handles returned by {@link gatewayMetrics}. */
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
