import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';

export interface ReadRecord {
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k] = String(Array.isArray(v) ? v[0] : v);
  return out;
}

/**
 * Reads a topic from the beginning (a fresh group each time) until `count` records have arrived, then waits
 * `settleMs` more to catch records that should not be there. Fails after `timeoutMs`.
 */
export async function readTopic(kafka: Kafka, topic: string, count: number, { timeoutMs = 20_000, settleMs = 300 } = {}): Promise<ReadRecord[]> {
  // A short fetch wait: disconnect() waits for the fetch in flight.
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} of ${count} records from ${topic} within ${timeoutMs} ms`)), timeoutMs);
      let settle: NodeJS.Timeout | undefined;
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message, partition }) => {
            records.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: headersToStrings(message.headers), partition, offset: message.offset });
            if (records.length >= count && !settle) {
              clearTimeout(timer);
              settle = setTimeout(resolve, settleMs);
            }
          },
        })
        .catch(reject);
      if (count === 0) {
        clearTimeout(timer);
        settle = setTimeout(resolve, settleMs);
      }
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
