import { Partitioners, type Kafka, type Producer } from 'kafkajs';

/**
 * The producer every service writes with: idempotent (a retried send is not written twice), acks from all in-sync
 * replicas, and the murmur2 partitioner the Java clients use, so keys land on the same partitions whoever produces.
 */
export function createProducer(kafka: Kafka, options: { transactionalId?: string } = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
  });
}
