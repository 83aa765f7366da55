import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createIngestMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    processed: new Counter({ name: 'ingest_events_processed_total', help: 'Events applied to portraits, by outcome (applied, duplicate)', labelNames: ['outcome'], registers: [registry] }),
    suppressed: new Counter({ name: 'ingest_events_suppressed_total', help: 'Events dropped because they speak for an identity erased at a person\'s request', registers: [registry] }),
    alertsRefused: new Counter({ name: 'ingest_alerts_refused_total', help: 'Alert firings a limit held back (a form sent again within its rule\'s cooldown), by rule', labelNames: ['rule', 'reason'], registers: [registry] }),
    consentWithheld: new Counter({ name: 'ingest_events_consent_withheld_total', help: 'Events dropped because their context withholds consent to analytics (the collector drops them first)', registers: [registry] }),
    deadLettered: new Counter({ name: 'ingest_events_dead_lettered_total', help: 'Records sent to the dead-letter topic, by reason', labelNames: ['reason'], registers: [registry] }),
    conflicts: new Counter({ name: 'ingest_identity_conflicts_total', help: 'Identity conflicts recorded for a person to resolve', labelNames: ['kind'], registers: [registry] }),
    batchSeconds: new Histogram({
      name: 'ingest_batch_duration_seconds',
      help: 'From a partition batch handed over to its offsets committed',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    storeRetries: new Counter({ name: 'ingest_store_retries_total', help: 'Writes of handed-over batches retried after ClickHouse (or Kafka, for their dead letters) failed', registers: [registry] }),
    pendingMessages: new Gauge({ name: 'ingest_pending_messages', help: 'Messages applied to the portraits whose offsets wait for their ClickHouse rows (lingering inserts)', registers: [registry] }),
    batchRetries: new Counter({ name: 'ingest_batch_retries_total', help: 'Batches retried after Redis, ClickHouse or Kafka failed', registers: [registry] }),
    lag: new Gauge({ name: 'ingest_consumer_lag', help: 'Records behind the end of each partition after the last commit', labelNames: ['topic', 'partition'], registers: [registry] }),
    redisRoundTrips: new Counter({ name: 'ingest_redis_round_trips_total', help: 'Pipelined Redis round trips', registers: [registry] }),
    alertsEnqueued: new Counter({ name: 'ingest_alerts_enqueued_total', help: 'Hot-lead jobs added to the alerts queue', registers: [registry] }),
    clickhouseInserts: new Counter({ name: 'ingest_clickhouse_inserts_total', help: 'Insert statements sent to ClickHouse, and their rows, by table (database-qualified)', labelNames: ['table'], registers: [registry] }),
    clickhouseRows: new Counter({ name: 'ingest_clickhouse_rows_total', help: 'Rows inserted into ClickHouse, by table', labelNames: ['table'], registers: [registry] }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
