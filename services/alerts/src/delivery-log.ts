import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@leadscore/log';
import type { DeliveryRow } from './processor.ts';

/**
 * The delivery attempts on their way to ClickHouse, written in batches (every `intervalMs` or `maxRows`) rather
 * than one insert per job: on 18.16 an insert per alert costs more than the delivery itself. The rows are a
 * report; the alerts themselves are safe in BullMQ and the delivered keys. A batch that fails is kept and retried
 * with the next; SIGTERM flushes what is left (a SIGKILL loses at most one interval of report rows).
 */
export function createDeliveryLog(client: ClickHouseClient, table: string, log: Logger, options: { intervalMs?: number; maxRows?: number; maxBuffered?: number } = {}) {
  const intervalMs = options.intervalMs ?? 500;
  const maxRows = options.maxRows ?? 500;
  const maxBuffered = options.maxBuffered ?? 100_000;
  let buffer: DeliveryRow[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    if (flushing) return flushing;
    if (buffer.length === 0) return;
    const rows = buffer;
    buffer = [];
    flushing = client
      .insert({ table, values: rows, format: 'JSONEachRow' })
      .then(
        () => undefined,
        (err: Error) => {
          log.error({ err, rows: rows.length }, 'delivery attempts not written to ClickHouse yet; kept for the next flush');
          buffer = [...rows, ...buffer].slice(-maxBuffered);
        },
      )
      .finally(() => {
        flushing = undefined;
      });
    return flushing;
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return {
    async record(rows: DeliveryRow[]): Promise<void> {
      buffer.push(...rows);
      if (buffer.length >= maxRows) void flush();
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await flushing;
      await flush();
    },
  };
}
