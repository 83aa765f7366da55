import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@leadscore/log';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through our pino logger, as JSON with the rest; its chatty INFO lines go to debug. */
function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      let target = levels[level] ?? 'info';
      // kafkajs logs every failed response at error level, retriable ones too (a coordinator still loading, a
      // leader moving); it retries them itself, and gives up with an exception the caller logs.
      if (target === 'error' && message.startsWith('Response ')) target = 'warn';
      // Deliberate: retries are bounded so a request can be answered 503; replays are deduplicated downstream by messageId.
      if (message.startsWith('Limiting retries for the idempotent producer')) target = 'debug';
      (target === 'info' ? log.debug.bind(log) : log[target].bind(log))({ kafkajs: rest }, message);
    };
}

/** The kafkajs client of every service: one per process, sharing connections between producer, consumer and admin. */
export function createKafka(settings: KafkaSettings, log: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(log.child({ component: 'kafkajs' })),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8 },
  });
}
