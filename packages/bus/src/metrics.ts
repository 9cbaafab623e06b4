import { Counter, Histogram, type Registry } from 'prom-client';

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/** Metrics of the bus, registered once per registry. */
export function busMetrics(registry: Registry) {
  return {
    projected: counter(registry, 'flotilla_projection_messages_total', 'Messages handled by projections, by outcome', ['projection', 'outcome']),
    deadLetters: counter(registry, 'flotilla_dead_letters_total', 'Messages moved to the dead-letter stream', ['source']),
    projectionErrors: counter(registry, 'flotilla_projection_errors_total', 'Batches rolled back by a transient error', ['projection']),
    batchSeconds:
      (registry.getSingleMetric('flotilla_projection_batch_seconds') as Histogram | undefined) ??
      new Histogram({ name: 'flotilla_projection_batch_seconds', help: 'Time to apply and commit one batch', labelNames: ['projection'], registers: [registry], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] }),
  };
}
/** The metric handles returned by {@link busMetrics}. */
export type BusMetrics = ReturnType<typeof busMetrics>;
