import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { PendingCommits } from './pending-commits.ts';
import type { Logger } from '@leadscore/log';

export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** The partition's end offset when the batch was fetched: lag = highWatermark − next offset. */
  readonly highWatermark: string;
}

/**
 * What a handler may leave in flight: the batch is done with but not yet durable everywhere (its rows linger for a
 * ClickHouse insert shared with later batches). The consumer goes on with the partition's next batches, and commits
 * this one's offsets only once `durable` resolves and every earlier batch of the partition is durable too. When it
 * rejects, the partition is read again from its oldest batch not committed (each step is idempotent).
 */
export interface Handed {
  readonly durable: Promise<void>;
}

export interface BatchConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly log: Logger;
  /** Does the batch's work; throws to have it retried. Offsets are committed only after it (and what it hands back) resolves. */
  readonly handle: (batch: PartitionBatch) => Promise<Handed | void>;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How long to wait before retrying a failed batch, given the attempts made so far (1 or more). The caller's, so
   * this package needs no backoff of its own: `backoffDelayMs` from @leadscore/events is the one definition.
   */
  readonly backoffMs: (attempt: number) => number;
  readonly sessionTimeoutMs?: number;
  /** Bounds a batch: the most bytes fetched from one partition at once. */
  readonly maxBytesPerPartition?: number;
  /**
   * The most messages handed over and not yet durable, over all partitions: past it a partition waits before its
   * next batch, so a ClickHouse outage holds a bounded amount of work in memory (default 50,000).
   */
  readonly maxPendingMessages?: number;
  readonly onRetry?: (batch: PartitionBatch, attempt: number, err: unknown) => void;
  readonly onCommitted?: (batch: PartitionBatch, lag: number, seconds: number) => void;
  /**
   * The consumer crashed and kafkajs will not restart it (e.g. the group dropped this member after a batch took
   * longer than the session timeout): the caller should stop the process, so its supervisor starts a fresh one,
   * rather than stay up consuming nothing.
   */
  readonly onFatal?: (err: Error) => void;
}

export interface BatchConsumer {
  readonly consumer: Consumer;
  /** Messages handed over whose offsets are not committed yet. */
  pending(): number;
  /**
   * Stops fetching, lets the batches in hand finish, waits (up to `timeoutMs`) for what they left in flight to be
   * durable and committed, then leaves the group. `flush` makes lingering work go now (e.g. an insert's linger).
   */
  stop(options?: { readonly flush?: () => Promise<void>; readonly timeoutMs?: number }): Promise<void>;
}

interface InHand {
  readonly work: PartitionBatch;
  readonly started: bigint;
}

/**
 * A consumer-group loop that never skips: each partition batch is handled, then its offsets are committed; when the
 * handler fails (Redis down), the partition is paused and the same batch retried with jittered backoff until it
 * succeeds or the consumer stops — in which case nothing is committed and the batch is redelivered. A handler may
 * hand back work still in flight (see Handed): the partition moves on, and offsets are committed in order as the
 * batches become durable.
 */
export async function runBatchConsumer(options: BatchConsumerOptions): Promise<BatchConsumer> {
  // Well under a third of the session timeout, as kafkajs advises, so a busy worker is not taken for dead.
  const heartbeatMs = Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 4));
  const maxPending = options.maxPendingMessages ?? 50_000;
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

  // Per partition, the batches handed over and not yet committable. A new generation of the group starts afresh:
  // kafkajs reads every partition it keeps or gains again from its committed offset, so what the old generation
  // left in flight is either committed by then or handled again (idempotently); its late settles find a map no
  // longer in use and commit nothing.
  let pendingBy = new Map<number, PendingCommits<InHand>>();
  consumer.on(consumer.events.GROUP_JOIN, () => {
    pendingBy = new Map();
    uncommitted.clear();
    wake();
  });
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const pendingMessages = () => [...pendingBy.values()].reduce((n, q) => n + q.size, 0);
  // Commits of a partition go one at a time, in order; a failed one is made good by the next (or by stop()).
  const commitChains = new Map<number, Promise<void>>();
  const uncommitted = new Map<number, bigint>();

  function commit(partition: number, next: bigint): Promise<void> {
    uncommitted.set(partition, next);
    const chain = (commitChains.get(partition) ?? Promise.resolve()).then(async () => {
      const offset = uncommitted.get(partition);
      if (offset === undefined) return;
      uncommitted.delete(partition);
      try {
        await consumer.commitOffsets([{ topic: options.topic, partition, offset: offset.toString() }]);
      } catch (err) {
        // A rebalance took the partition, or the broker failed: its new owner reads from the last commit.
        if (!uncommitted.has(partition)) uncommitted.set(partition, offset);
        options.log.warn({ err, partition, offset: offset.toString() }, 'offsets not committed; retried with the next batch');
      }
    });
    commitChains.set(partition, chain);
    return chain;
  }

  /** The batch is durable: commits the durable run it completes, if any, and reports each batch committed. */
  function durable(queue: PendingCommits<InHand>, hand: InHand): Promise<void> {
    const settled = queue.settle(hand);
    wake();
    if (!settled) return Promise.resolve();
    const committed = settled.commit === undefined ? Promise.resolve() : commit(hand.work.partition, settled.commit);
    return committed.then(() => {
      for (const b of settled.batches) {
        const lag = Number(BigInt(b.item.work.highWatermark) - b.next);
        options.onCommitted?.(b.item.work, lag < 0 ? 0 : lag, Number(process.hrtime.bigint() - b.item.started) / 1e9);
      }
    });
  }

  /** Something after hand-over failed: the partition is read again from its oldest batch not committed. */
  function failed(queue: PendingCommits<InHand>, hand: InHand, err: unknown): void {
    if (pendingBy.get(hand.work.partition) !== queue) return;
    const from = queue.oldest?.first;
    // A fresh queue: batches of the old one still in hand or in flight can then commit nothing.
    pendingBy.set(hand.work.partition, new PendingCommits());
    wake();
    options.log.error({ err, topic: hand.work.topic, partition: hand.work.partition, offset: from?.toString() }, 'a batch failed after it was handed over; the partition is read again from its oldest uncommitted batch');
    if (from !== undefined) consumer.seek({ topic: options.topic, partition: hand.work.partition, offset: from.toString() });
  }

  function queueOf(partition: number): PendingCommits<InHand> {
    let queue = pendingBy.get(partition);
    if (!queue) {
      queue = new PendingCommits<InHand>();
      pendingBy.set(partition, queue);
    }
    return queue;
  }

  let stopping = false;
  let inHand = 0;

  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, pause, resolveOffset }) => {
      if (batch.messages.length === 0 || stopping) return;
      inHand++;
      try {
        // Back-pressure: a store that lags (ClickHouse down) may hold only so much handled work.
        while (pendingMessages() >= maxPending && isRunning() && !isStale()) {
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, heartbeatMs);
          });
          await heartbeat().catch(() => {});
        }
        const work: PartitionBatch = { topic: batch.topic, partition: batch.partition, messages: batch.messages, highWatermark: batch.highWatermark };
        const started = process.hrtime.bigint();
        const queue = queueOf(batch.partition);
        let resume: (() => void) | undefined;
        let handed: Handed | void;
        for (let attempt = 1; ; attempt++) {
          if (!isRunning() || isStale()) return;
          // A long batch (a history replayed, a slow store) must not cost this worker its place in the group.
          const beat = setInterval(() => void heartbeat().catch(() => {}), heartbeatMs);
          try {
            handed = await options.handle(work);
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
        resume?.();
        // The group moved on (a new generation) or the partition is being read again from an earlier batch (its
        // seek decides where the next fetch starts): this batch commits nothing.
        if (isStale() || pendingBy.get(batch.partition) !== queue) return;
        const last = batch.lastOffset();
        // resolveOffset moves this consumer's own fetch position (without it the batch is fetched again); the
        // commit records it in the group for whoever owns the partition next, once the batch is durable.
        resolveOffset(last);
        const hand: InHand = { work, started };
        queue.push({ first: BigInt(batch.firstOffset() ?? last), next: BigInt(last) + 1n, size: batch.messages.length, item: hand });
        if (!handed) {
          // Durable at once (nothing lingers): committed before the partition's next batch, as always.
          await durable(queue, hand);
        } else {
          handed.durable.then(
            () => durable(queue, hand),
            (err: unknown) => failed(queue, hand, err),
          );
        }
        await heartbeat().catch(() => {});
      } finally {
        inHand--;
        wake();
      }
    },
  });

  return {
    consumer,
    pending: pendingMessages,
    async stop({ flush, timeoutMs = 30_000 } = {}) {
      stopping = true;
      consumer.pause([{ topic: options.topic }]);
      const deadline = Date.now() + timeoutMs;
      const settled = () => inHand === 0 && pendingMessages() === 0;
      while (!settled() && Date.now() < deadline) {
        if (inHand === 0) await flush?.();
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      if (!settled()) options.log.warn({ pending: pendingMessages() }, 'stopping with batches not yet durable: they are read again by the next owner');
      for (const [partition, offset] of uncommitted) await commit(partition, offset);
      await Promise.all(commitChains.values());
      await consumer.disconnect();
    },
  };
}
