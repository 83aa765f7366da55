import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export function createRollupsMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    lastSnapshot: new Gauge({ name: 'rollup_last_snapshot_seconds', help: 'Reference time of the last snapshot published (unix seconds)', registers: [registry] }),
    lastDuration: new Gauge({ name: 'rollup_last_duration_seconds', help: 'How long the last snapshot took to compute and publish', registers: [registry] }),
    lastWriteBack: new Gauge({ name: 'rollup_last_write_back_seconds', help: 'How long writing the last snapshot back to the portraits took', registers: [registry] }),
    rows: new Gauge({ name: 'rollup_last_rows', help: 'Rows of the last snapshot', labelNames: ['table'], registers: [registry] }),
    runs: new Counter({ name: 'rollup_runs_total', help: 'Scheduled runs by outcome (published, skipped: another worker was running one, failed)', labelNames: ['outcome'], registers: [registry] }),
  };
}
export type RollupsMetrics = ReturnType<typeof createRollupsMetrics>;
