import type { Kafka } from 'kafkajs';

/** Topic names of one deployment; NAMESPACE keeps deployments (and test files) apart on one cluster. */
export function topicNames(namespace: string) {
  return {
    events: `${namespace}.events`,
    eventsDeadLetter: `${namespace}.events.dlq`,
  } as const;
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs?: Readonly<Record<string, string>>;
}

export class TopicLayoutError extends Error {
  override readonly name = 'TopicLayoutError';
}

/**
 * Creates the topics that are missing (auto-creation is off on our brokers) and waits for their leaders.
 * An existing topic with fewer partitions than configured is reported, not silently used: partitions bound how far
 * the workers scale, and adding partitions moves keys, which only an operator should decide.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<{ created: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = specs.filter((s) => existing.has(s.topic));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
      for (const t of meta.topics) {
        const want = present.find((s) => s.topic === t.name);
        if (want && t.partitions.length < want.numPartitions) {
          throw new TopicLayoutError(`topic ${t.name} has ${t.partitions.length} partitions but the configuration asks for ${want.numPartitions}; add partitions with kafka-topics --alter, or lower the setting`);
        }
      }
    }
    return { created: missing.map((s) => s.topic) };
  } finally {
    await admin.disconnect();
  }
}

/** The topics every service of a deployment expects: events (partitions from config) and its dead letters. */
export function eventTopicSpecs(namespace: string, settings: { eventsPartitions: number; replicationFactor: number }): TopicSpec[] {
  const names = topicNames(namespace);
  return [
    { topic: names.events, numPartitions: settings.eventsPartitions, replicationFactor: settings.replicationFactor },
    { topic: names.eventsDeadLetter, numPartitions: 1, replicationFactor: settings.replicationFactor },
  ];
}
