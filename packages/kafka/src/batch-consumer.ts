import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@leadscore/log';

export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** The partition's end offset when the batch was fetched: lag = highWatermark − next offset. */
  readonly highWatermark: string;
}

export interface BatchConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly log: Logger;
  /** Does the batch's work; throws to have it retried. Offsets are committed only after it resolves. */
  readonly handle: (batch: PartitionBatch) => Promise<void>;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How long to wait before retrying a failed batch, given the attempts made so far (1 or more). The caller's, so
   * this package needs no backoff of its own: `backoffDelayMs` from @leadscore/events is the one definition.
   */
  readonly backoffMs: (attempt: number) => number;
  readonly sessionTimeoutMs?: number;
  /** Bounds a batch: the most bytes fetched from one partition at once. */
  readonly maxBytesPerPartition?: number;
  readonly onRetry?: (batch: PartitionBatch, attempt: number, err: unknown) => void;
  readonly onCommitted?: (batch: PartitionBatch, lag: number, seconds: number) => void;
  /**
   * The consumer crashed and kafkajs will not restart it (e.g. the group dropped this member after a batch took
   * longer than the session timeout): the caller should stop the process, so its supervisor starts a fresh one,
   * rather than stay up consuming nothing.
   */
  readonly onFatal?: (err: Error) => void;
}

/**
 * A consumer-group loop that never skips: each partition batch is handled, then its offsets are committed; when the
 * handler fails (Redis or ClickHouse down), the partition is paused and the same batch retried with jittered
 * backoff until it succeeds or the consumer stops — in which case nothing is committed and the batch is redelivered.
 */
export async function runBatchConsumer(options: BatchConsumerOptions): Promise<Consumer> {
  // Well under a third of the session timeout, as kafkajs advises, so a busy worker is not taken for dead.
  const heartbeatMs = Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 4));
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: heartbeatMs,
    maxWaitTimeInMs: 250,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) options.log.warn({ err: payload.error }, 'kafka consumer crashed; kafkajs restarts it');
    else options.onFatal?.(payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, pause, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      const work: PartitionBatch = { topic: batch.topic, partition: batch.partition, messages: batch.messages, highWatermark: batch.highWatermark };
      const started = process.hrtime.bigint();
      let resume: (() => void) | undefined;
      for (let attempt = 1; ; attempt++) {
        if (!isRunning() || isStale()) return;
        // A long batch (a history replayed, a slow store) must not cost this worker its place in the group.
        const beat = setInterval(() => void heartbeat().catch(() => {}), heartbeatMs);
        try {
          await options.handle(work);
          break;
        } catch (err) {
          resume ??= pause();
          options.onRetry?.(work, attempt, err);
          options.log.error({ err, topic: batch.topic, partition: batch.partition, offset: batch.firstOffset(), attempt }, 'batch failed; partition paused, retrying');
          const until = Date.now() + options.backoffMs(attempt);
          while (Date.now() < until && isRunning()) {
            await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
            await heartbeat().catch(() => {});
          }
        } finally {
          clearInterval(beat);
        }
      }
      const last = batch.lastOffset();
      const next = (BigInt(last) + 1n).toString();
      // Both: resolveOffset moves this consumer's own fetch position (without it the batch is fetched again),
      // commitOffsets records it in the group for whoever owns the partition next.
      resolveOffset(last);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      resume?.();
      const lag = Number(BigInt(batch.highWatermark) - BigInt(next));
      options.onCommitted?.(work, lag < 0 ? 0 : lag, Number(process.hrtime.bigint() - started) / 1e9);
      await heartbeat().catch(() => {});
    },
  });
  return consumer;
}
