import { connect } from 'node:net';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@leadscore/config';
import type { ServiceUrls } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceUrls;
  }
}

const START_COMMAND = 'bash scripts/services.sh up';

function tcpAnswers(hostPort: string, timeoutMs = 1500): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function hostPortOf(url: string, fallbackPort: number): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || fallbackPort}`;
}

/**
 * Integration tests run against real services: the configured ones (what scripts/services.sh starts), or, with
 * TEST_SERVICES=containers and a Docker engine, containers started here with the same settings as
 * infra/docker-compose.yml. With neither, fail at once and say how to start them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_SERVICES === 'containers') {
    const { startContainers } = await import('./containers.ts');
    const started = await startContainers();
    project.provide('services', started.urls);
    return started.stop;
  }
  const config = loadConfig(process.env);
  const urls: ServiceUrls = {
    kafkaBrokers: config.kafka.brokers,
    redisUrl: config.redis.url,
    clickhouseUrl: config.clickhouse.url,
    clickhouseUser: config.clickhouse.user,
    clickhousePassword: config.clickhouse.password,
  };
  const checks = [
    ['Kafka', config.kafka.brokers[0] as string],
    ['Redis', hostPortOf(config.redis.url, 6379)],
    ['ClickHouse', hostPortOf(config.clickhouse.url, 8123)],
  ] as const;
  const down = [];
  for (const [name, hostPort] of checks) if (!(await tcpAnswers(hostPort))) down.push(`${name} at ${hostPort}`);
  if (down.length > 0) {
    throw new Error(`integration tests need real services, and nothing answers for: ${down.join(', ')}.\nStart them with: ${START_COMMAND}\n(or set TEST_SERVICES=containers where a Docker engine runs)`);
  }
  project.provide('services', urls);
  return async () => {};
}
