import type { Logger } from '@leadscore/log';

export interface ShutdownStep {
  /** For the log: what is being stopped, e.g. `http server`, `kafka producer`. */
  readonly name: string;
  readonly run: () => Promise<void> | void;
  /** A step that does not finish in time is abandoned so the next ones still run. */
  readonly timeoutMs?: number;
}

/**
 * The one place that owns signals and shutdown order for a service: on SIGTERM or SIGINT the steps run in the order
 * given (stop taking work, finish and flush what is in hand, close connections), each bounded in time, then the
 * process exits. A second signal exits at once.
 */
export function handleShutdown(log: Logger, steps: readonly ShutdownStep[], exit: (code: number) => void = (c) => process.exit(c)): { shutdown(reason: string, code?: number): Promise<void> } {
  let running: Promise<void> | undefined;
  /** `code`: the exit status when every step stopped cleanly (a shutdown the service decided on after a failure is 1). */
  const shutdown = (reason: string, code = 0): Promise<void> => {
    if (running) return running;
    running = (async () => {
      const started = Date.now();
      log.info({ reason }, 'shutting down');
      let failed = false;
      for (const step of steps) {
        const stepStarted = Date.now();
        try {
          await withTimeout(Promise.resolve().then(step.run), step.timeoutMs ?? 10_000, step.name);
          log.info({ step: step.name, ms: Date.now() - stepStarted }, 'stopped');
        } catch (err) {
          failed = true;
          log.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      log.info({ ms: Date.now() - started }, 'shut down');
      exit(failed ? 1 : code);
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      log.warn({ signal }, 'second signal: exiting now');
      exit(130);
      return;
    }
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { shutdown };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not stop within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
export { startMetricsServer } from './metrics-server.ts';
