import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startPrivateServices, servicesScript } from '../support/private-services.ts';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));

describe('scripts/services.sh', () => {
  it('starts Kafka, Redis and ClickHouse on the configured ports, is quick when they run, and down leaves nothing listening', async () => {
    const svc = await startPrivateServices(['kafka', 'redis', 'clickhouse']);
    const ports = [
      portOf(svc.kafkaBrokers[0]!),
      Number(svc.env.KAFKA_CONTROLLER_PORT),
      Number(new URL(svc.redisUrl).port),
      Number(new URL(svc.clickhouseUrl).port),
      Number(svc.env.CLICKHOUSE_TCP_PORT),
    ];
    try {
      for (const port of ports) expect(await listening(port), `port ${port}`).toBe(true);

      const started = Date.now();
      const again = await servicesScript(['up', '--instance', svc.instance], svc.env);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(again.stderr).toMatch(/kafka already running/);

      const status = await servicesScript(['status', '--instance', svc.instance], svc.env);
      expect(status.stdout).toMatch(/kafka: running/);
      expect(status.stdout).toMatch(/redis: running/);
      expect(status.stdout).toMatch(/clickhouse: running/);
    } finally {
      await svc.destroy();
    }
    for (const port of ports) expect(await listening(port), `port ${port} after down`).toBe(false);
  });

  it('refuses a port that is not a number, naming the variable', async () => {
    await expect(servicesScript(['status', '--instance', 'bad'], { REDIS_URL: 'redis://127.0.0.1:sixty' })).rejects.toThrow(/REDIS_PORT='sixty'/);
  });
});
