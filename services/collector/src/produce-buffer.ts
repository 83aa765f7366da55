import type { Message, Producer, TopicMessages } from 'kafkajs';

export class KafkaUnavailableError extends Error {
  override readonly name = 'KafkaUnavailableError';
}

export interface ProduceBufferOptions {
  /** How long to gather concurrent requests into one produce request. */
  readonly lingerMs: number;
  /** A flush starts at once when this many messages wait. */
  readonly maxMessages: number;
  /** A request whose messages are not acknowledged by then is told Kafka is unavailable. */
  readonly timeoutMs: number;
  readonly onFlush?: (messages: number, seconds: number, ok: boolean) => void;
}

interface Waiting {
  readonly topicMessages: readonly TopicMessages[];
  readonly count: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Gathers the records of concurrent HTTP requests into one Kafka produce request (acks from all in-sync replicas),
 * and answers each request only when its own records are acknowledged. A request is never told "ok" for records
 * Kafka has not taken.
 */
export class ProduceBuffer {
  private waiting: Waiting[] = [];
  private waitingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly producer: Producer,
    private readonly options: ProduceBufferOptions,
  ) {}

  send(topicMessages: readonly TopicMessages[]): Promise<void> {
    const count = topicMessages.reduce((n, t) => n + t.messages.length, 0);
    if (count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(
        () => reject(new KafkaUnavailableError(`Kafka did not acknowledge within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      this.waiting.push({
        topicMessages,
        count,
        resolve: () => (clearTimeout(timeout), resolve()),
        reject: (err) => (clearTimeout(timeout), reject(err)),
      });
      this.waitingCount += count;
      if (this.waitingCount >= this.options.maxMessages) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    });
  }

  /** Sends what waits now; resolves when every produce request started so far has finished. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    const count = this.waitingCount;
    this.waiting = [];
    this.waitingCount = 0;
    const byTopic = new Map<string, Message[]>();
    for (const w of batch) {
      for (const t of w.topicMessages) {
        const list = byTopic.get(t.topic) ?? [];
        for (const m of t.messages) list.push(m);
        byTopic.set(t.topic, list);
      }
    }
    const started = process.hrtime.bigint();
    const done = this.producer
      .sendBatch({ acks: -1, timeout: this.options.timeoutMs, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      .then(
        () => {
          this.options.onFlush?.(count, Number(process.hrtime.bigint() - started) / 1e9, true);
          for (const w of batch) w.resolve();
        },
        (err: Error) => {
          this.options.onFlush?.(count, Number(process.hrtime.bigint() - started) / 1e9, false);
          const failure = new KafkaUnavailableError(`Kafka refused the records: ${err.message}`, { cause: err });
          for (const w of batch) w.reject(failure);
        },
      );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }
}
