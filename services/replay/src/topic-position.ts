import type { Admin } from 'kafkajs';
import type { TopicPosition } from './rescore.ts';

/** The ingest group's committed offsets and the events topic's ends, from Kafka's admin API. */
export function topicPosition(admin: Admin, groupId: string, topic: string): TopicPosition {
  return {
    async committed() {
      const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
      // -1: nothing committed on that partition yet, so nothing of it is before the cutover.
      return new Map((found?.partitions ?? []).map((p) => [p.partition, BigInt(Math.max(0, Number(p.offset)))]));
    },
    async ends() {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    },
  };
}
