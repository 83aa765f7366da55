import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { createKafka, createProducer, ensureTopics, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { services } from '../support/services.ts';
import { testNamespace } from '../support/namespace.ts';

const ns = testNamespace('kafka_smoke');
const topic = topicNames(ns).events;
const log = createLogger({ service: 'test', level: 'warn', namespace: ns });
let kafka: Kafka;

/** Reads from the group until `count` messages have been seen, commits the offset after the last one, and leaves. */
async function consumeAndCommit(groupId: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          for (const message of batch.messages) {
            if (seen.length >= count) break;
            seen.push(String(message.value));
            resolveOffset(message.offset);
            if (seen.length === count) {
              await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() }]);
              resolve();
            }
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

beforeAll(async () => {
  kafka = createKafka({ brokers: services().kafkaBrokers, clientId: ns }, log);
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `m${i}` })) });
  await producer.disconnect();
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('Kafka smoke', () => {
  it('creates topics idempotently', async () => {
    await expect(ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: 1 }])).resolves.toEqual({ created: [] });
  });

  it('refuses a topic with fewer partitions than configured', async () => {
    await expect(ensureTopics(kafka, [{ topic, numPartitions: 4, replicationFactor: 1 }])).rejects.toThrow(/has 1 partitions/);
  });

  it('a second consumer of the same group resumes after the committed offset', async () => {
    const group = `${ns}.group`;
    expect(await consumeAndCommit(group, 6)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(await consumeAndCommit(group, 4)).toEqual(['m6', 'm7', 'm8', 'm9']);
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    await admin.disconnect();
    expect(offsets?.partitions[0]?.offset).toBe('10');
  });
});
