import type { ClickHouseSettings } from '@leadscore/clickhouse';
import type { ApiScope } from '@leadscore/config';
import { createLogger, type Logger } from '@leadscore/log';
import { defaultRules, parseRules, type Rules } from '@leadscore/scoring';
import { services, type ServiceUrls } from '@leadscore/tests/support/services.ts';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApi } from '../src/app.ts';
import { composeApi } from '../src/compose.ts';

/** The test services' ClickHouse as the API's settings. */
export const clickhouseOf = (s: ServiceUrls): ClickHouseSettings => ({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });

export interface TestApi {
  readonly api: ReturnType<typeof composeApi>;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * The API over a test file's namespace, wired as the service wires it (composeApi), with the given tokens; not
 * listening (inject) unless the caller listens.
 */
export async function startTestApi(world: { readonly ns: string; readonly redis: Redis }, options: {
  readonly tokens: readonly { readonly name: string; readonly token: string; readonly scopes: readonly ApiScope[] }[];
  readonly namespace?: string;
  readonly rules?: Rules;
  readonly rankingSweepMs?: number;
  readonly log?: Logger;
}): Promise<TestApi> {
  const namespace = options.namespace ?? world.ns;
  const rules = options.rules ?? parseRules(defaultRules);
  const api = composeApi({
    redisUrl: services().redisUrl,
    redis: world.redis,
    clickhouse: clickhouseOf(services()),
    namespace,
    database: world.ns,
    rules: () => rules,
    rankingSweepMs: options.rankingSweepMs ?? 60_000,
    kafka: { brokers: services().kafkaBrokers, clientId: 'api-test' },
    log: options.log ?? createLogger({ service: 'api', level: 'silent', namespace }),
  });
  const app = await buildApi({ tokens: options.tokens, version: 'test' }, api.deps);
  return {
    api,
    app,
    async close() {
      await app.close();
      await api.close();
    },
  };
}
