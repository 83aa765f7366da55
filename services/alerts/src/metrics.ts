import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export function createAlertsMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    attempts: new Counter({ name: 'alerts_delivery_attempts_total', help: 'Delivery attempts by channel and outcome', labelNames: ['channel', 'outcome'], registers: [registry] }),
    delivered: new Counter({ name: 'alerts_jobs_delivered_total', help: 'Hot-lead jobs delivered on all their channels', registers: [registry] }),
    failed: new Counter({ name: 'alerts_jobs_failed_total', help: 'Hot-lead jobs kept as failed after their last attempt', registers: [registry] }),
  };
}

