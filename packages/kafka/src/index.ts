export { createKafka, type KafkaSettings } from './client.ts';
export { createProducer } from './producer.ts';
export { runBatchConsumer, type BatchConsumerOptions, type PartitionBatch } from './batch-consumer.ts';
export { ensureTopics, eventTopicSpecs, topicNames, TopicLayoutError, type TopicSpec } from './topics.ts';
