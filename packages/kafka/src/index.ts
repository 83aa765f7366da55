export { createKafka, type KafkaSettings } from './client.ts';
export { createProducer } from './producer.ts';
export { runBatchConsumer, type BatchConsumer, type BatchConsumerOptions, type Handed, type PartitionBatch } from './batch-consumer.ts';
export { PendingCommits, type PendingBatch } from './pending-commits.ts';
export { ensureTopics, eventTopicSpecs, topicNames, TopicLayoutError, type TopicSpec } from './topics.ts';
