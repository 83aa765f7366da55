import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The service or command writing, e.g. `collector`; becomes the `service` field of every line. */
  readonly service: string;
  readonly level: LevelWithSilent;
  readonly namespace: string;
}

/**
 * The one logger factory every service uses: pino JSON lines on stdout (or the given stream), with the service and
 * namespace on every line and ISO times, so lines from several processes sort and filter together.
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, ns: options.namespace, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

/** Bindings that tie a log line to what a pipeline step was working on. */
export interface WorkContext {
  readonly leadId?: string;
  readonly companyId?: string;
  readonly eventId?: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

/** A child logger carrying lead / event / partition context; undefined fields are left out. */
export function withContext(log: Logger, context: WorkContext): Logger {
  const bindings: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(context)) if (v !== undefined) bindings[k] = v;
  return log.child(bindings);
}
