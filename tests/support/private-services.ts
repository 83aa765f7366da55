import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';
import { testNamespace } from './namespace.ts';

const run = promisify(execFile);
const SERVICES_SH = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

export type ServiceName = 'kafka' | 'redis' | 'clickhouse';

export interface PrivateServices {
  readonly instance: string;
  readonly env: Record<string, string>;
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  readonly clickhouseUrl: string;
  /** Stops the services (they keep their data) — to test what clients do while a service is down. */
  stop(): Promise<void>;
  /** Starts them again on the same ports and data. */
  start(): Promise<void>;
  /** Stops them and removes their data. */
  destroy(): Promise<void>;
}

/**
 * Private Kafka / Redis / ClickHouse on free ports, through the same services script the project uses, for tests
 * that stop or restart a service without hurting the files running beside them.
 */
export async function startPrivateServices(only: readonly ServiceName[]): Promise<PrivateServices> {
  const instance = testNamespace('private');
  const [kafkaPort, controllerPort, redisPort, chHttp, chTcp] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const env = {
    KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    CLICKHOUSE_URL: `http://127.0.0.1:${chHttp}`,
    CLICKHOUSE_TCP_PORT: String(chTcp),
  };
  const script = async (...args: string[]) => {
    try {
      await run('bash', [SERVICES_SH, ...args, '--instance', instance, '--only', only.join(',')], {
        env: { ...process.env, ...env },
        timeout: 120_000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`services.sh ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  };
  await script('up');
  return {
    instance,
    env,
    kafkaBrokers: [env.KAFKA_BROKERS],
    redisUrl: env.REDIS_URL,
    clickhouseUrl: env.CLICKHOUSE_URL,
    stop: () => script('down'),
    start: () => script('up'),
    destroy: () => script('down', '--purge'),
  };
}

/** Runs the services script itself (for the tests of the script). */
export async function servicesScript(args: readonly string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run('bash', [SERVICES_SH, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
}
