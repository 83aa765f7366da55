import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: 'api_requests_total', help: 'Requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    seconds: new Histogram({ name: 'api_request_seconds', help: 'Time to answer, by route', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
  };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;
