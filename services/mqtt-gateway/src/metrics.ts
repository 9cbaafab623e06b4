import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

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
    messagesOut: once(registry, 'flotilla_gateway_messages_out_total', () => new Counter({ name: 'flotilla_gateway_messages_out_total', help: 'PUBLISH packets sent to clients', labelNames: ['qos'], registers })),
    deliverySeconds: once(
      registry,
      'flotilla_gateway_command_delivery_seconds',
      () =>
        new Histogram({
          name: 'flotilla_gateway_command_delivery_seconds',
          help: 'From a command being issued to the device acknowledging it (PUBACK/PUBCOMP)',
          buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30, 300, 3600],
          registers,
        }),
    ),
    authFailures: once(registry, 'flotilla_gateway_auth_failures_total', () => new Counter({ name: 'flotilla_gateway_auth_failures_total', help: 'CONNECTs refused for their credentials', registers })),
  };
}
/** Handles returned by {@link gatewayMetrics}. */
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
