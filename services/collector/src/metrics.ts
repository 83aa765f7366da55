import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The collector's Prometheus metrics, on a registry of its own (tests build several apps in one process). */
export function createCollectorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: 'collector_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    accepted: new Counter({ name: 'collector_messages_accepted_total', help: 'Messages written to the events topic', labelNames: ['route', 'source', 'type'], registers: [registry] }),
    rejected: new Counter({ name: 'collector_messages_rejected_total', help: 'Messages or requests refused, by route and reason', labelNames: ['route', 'reason'], registers: [registry] }),
    rateLimiterErrors: new Counter({ name: 'collector_rate_limiter_errors_total', help: 'Requests let through because the rate limiter (Redis) did not answer', registers: [registry] }),
    produceSeconds: new Histogram({
      name: 'collector_produce_duration_seconds',
      help: 'Time from a produce request to its acknowledgement by Kafka',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;
