import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, variables, type VariableName } from '../src/index.ts';

const badValues: Record<VariableName, string> = {
  NODE_ENV: 'staging',
  LOG_LEVEL: 'verbose',
  NAMESPACE: 'Has-Dashes',
  TIME_ZONE: 'Mars/Olympus_Mons',
  KAFKA_BROKERS: 'localhost',
  KAFKA_CLIENT_ID: 'bad id with spaces',
  KAFKA_EVENTS_PARTITIONS: 'many',
  KAFKA_REPLICATION_FACTOR: '0',
  REDIS_URL: 'http://127.0.0.1:6379',
  CLICKHOUSE_URL: 'not a url',
  CLICKHOUSE_DATABASE: 'drop table;',
  CLICKHOUSE_USER: ' ',
  CLICKHOUSE_PASSWORD: '',
  CLICKHOUSE_CLUSTER: 'a cluster',
  COLLECTOR_HOST: '',
  COLLECTOR_PORT: '70000',
  COLLECTOR_PUBLIC_URL: 'ftp://x',
  COLLECTOR_TRUSTED_PROXIES: 'proxy.local',
  COLLECTOR_RATE_LIMITS: 'web=fast',
  COLLECTOR_SOURCE_POLICIES: 'web=admin',
  COLLECTOR_IDENTITY_SECRETS: 'web=short',
  INGEST_START_WITHOUT_OFFSETS: 'latest',
  INGEST_FORM_ALERTS_PER_SOURCE_PER_HOUR: 'many',
  ROLLUP_RETENTION_MONTHS: '-1',
  COLLECTOR_WRITE_KEYS: 'web:short',
  COLLECTOR_IMPORT_KEYS: 'a=samekey123,b=samekey123',
  COLLECTOR_MAX_FUTURE_SECONDS: '-1',
  COLLECTOR_MAX_AGE_DAYS: '0',
  COLLECTOR_CORS_ORIGINS: 'example.com',
  COLLECTOR_PRODUCE_TIMEOUT_MS: '10',
  COLLECTOR_LINK_SECRET: 'short',
  COLLECTOR_REDIRECT_HOSTS: 'https://acme.example',
  INTERNAL_IP_RANGES: '10.0.0.0/33',
  INTERNAL_EMAIL_DOMAINS: 'not a domain',
  SCANNER_CLICK_SECONDS: '-5',
  SCANNER_BURST_SECONDS: 'fast',
  EMAIL_CLICK_WINDOW_HOURS: '0',
  RULES_FILE: '',
  ALERT_FRESHNESS_HOURS: '0',
  QUIET_SWEEP_EVERY_MINUTES: 'hourly',
  ALERTS_CONCURRENCY: '0',
  ALERTS_ATTEMPTS: 'many',
  ALERTS_BACKOFF_MS: '0',
  ALERTS_MAX_BACKOFF_MS: '-1',
  ALERTS_CONNECT_TIMEOUT_MS: '1',
  ALERTS_TIMEOUT_MS: 'long',
  ALERTS_REFUSE_PRIVATE_TARGETS: 'yes',
  ALERTS_RATE_PER_MINUTE: '0',
  ALERTS_LEAD_URL: 'https://crm.example/leads/',
  ALERTS_SMTP_URL: 'http://mail',
  ALERTS_EMAIL_FROM: 'x',
  ALERTS_METRICS_PORT: '-3',
  ALERTS_DIGEST_TICK_MS: '5',
  INGEST_METRICS_PORT: 'x',
  INGEST_DEDUP_WINDOW_DAYS: '0',
  INGEST_PARTITIONS_CONCURRENTLY: '0',
  INGEST_PROFILE_LOG_CAP: '-1',
  INGEST_VISITOR_TTL_DAYS: '0',
  INGEST_EVENT_ATTEMPTS: 'twice',
  INGEST_MAX_BATCH_BYTES: '10',
  INGEST_STORE_TIMEOUT_MS: '5',
  INGEST_CLICKHOUSE_LINGER_MS: '-1',
  INGEST_MAX_PENDING_EVENTS: '0',
  INGEST_SESSION_TIMEOUT_MS: '1000',
  FREE_MAIL_DOMAINS: 'gmail com',
  COLLECTOR_LINGER_MS: 'soon',
  ROLLUP_CURRENCY: 'usd',
  ROLLUP_RATES: 'EUR:1.08',
  ROLLUP_WINDOW_DAYS: '0',
  ROLLUP_NEW_DAYS: 'ninety',
  ROLLUP_ACTIVE_DAYS: '999999',
  ROLLUP_DORMANT_DAYS: '-1',
  ROLLUP_ACTIVITY_DAYS: '1.5',
  ROLLUP_ABC_SHARES: '90,20',
  ROLLUP_SEGMENT_MAP_FILE: '',
  ROLLUP_EVERY_MINUTES: 'hourly',
  ROLLUP_WRITE_BACK_CHUNK: '0',
  ROLLUPS_METRICS_PORT: '99999',
  API_HOST: '',
  API_PORT: 'http',
  API_TOKENS: 'sales=short/leads:read',
  API_RANKING_SWEEP_SECONDS: '0',
  API_CHANGES_WEBHOOK_URL: 'ftp://crm',
  API_CHANGES_WEBHOOK_SECRET: '',
};

describe('configuration', () => {
  it('gives every variable its documented default when the environment is empty', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.clickhouse.url).toBe('http://127.0.0.1:8123');
    expect(config.namespace).toBe('leadscore');
  });

  it('uses the namespace as the ClickHouse database unless one is given', () => {
    expect(loadConfig({ NAMESPACE: 'acme' }).clickhouse.database).toBe('acme');
    expect(loadConfig({ NAMESPACE: 'acme', CLICKHOUSE_DATABASE: 'analytics' }).clickhouse.database).toBe('analytics');
  });

  it('reads rollup rates and ABC shares', () => {
    const { rollups } = loadConfig({ ROLLUP_RATES: 'EUR=1.08, CNY=0.14', ROLLUP_ABC_SHARES: '70,20' });
    expect(rollups.rates).toEqual({ EUR: 1.08, CNY: 0.14 });
    expect(rollups.abc).toEqual({ a: 0.7, b: 0.9 });
  });

  it('refuses an active period longer than the dormant one, naming it', () => {
    expect(() => loadConfig({ ROLLUP_ACTIVE_DAYS: '400' })).toThrow(/ROLLUP_ACTIVE_DAYS=400: must not exceed ROLLUP_DORMANT_DAYS \(365\)/);
  });

  it('reads API tokens with their names and scopes', () => {
    expect(loadConfig({ API_TOKENS: 'crm=tok_crm_0123456789abcdef/leads:read, ops=tok_ops_0123456789abcdef/admin' }).api.tokens).toEqual([
      { name: 'crm', token: 'tok_crm_0123456789abcdef', scopes: ['leads:read'] },
      { name: 'ops', token: 'tok_ops_0123456789abcdef', scopes: ['admin'] },
    ]);
    expect(() => loadConfig({ API_TOKENS: 'crm=tok_crm_0123456789abcdef/leads:write' })).toThrow(/API_TOKENS=\(secret\): scopes are leads:read, analytics:read, admin/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ KAFKA_EVENTS_PARTITIONS: '' }).kafka.eventsPartitions).toBe(6);
  });

  it('splits a broker list and trims its entries', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093' }).kafka.brokers).toEqual(['a:9092', 'b:9093']);
  });

  for (const [name, bad] of Object.entries(badValues) as [VariableName, string][]) {
    // Any string is valid for these (a rules file is checked when it is read); empty means the default.
    if (name === 'CLICKHOUSE_PASSWORD' || name === 'COLLECTOR_HOST' || name === 'API_HOST' || name === 'RULES_FILE' || name === 'ROLLUP_SEGMENT_MAP_FILE' || name === 'API_CHANGES_WEBHOOK_SECRET') continue;
    it(`refuses a bad ${name} and names it`, () => {
      const error = (() => {
        try {
          loadConfig({ [name]: bad });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems.map((p) => p.variable)).toEqual([name]);
      expect((error as ConfigError).message).toContain(name);
    });
  }

  it('parses write keys per source', () => {
    expect(loadConfig({ COLLECTOR_WRITE_KEYS: 'web=wk_abcdefgh, app=wk_12345678' }).collector.writeKeys).toEqual([
      { source: 'web', key: 'wk_abcdefgh' },
      { source: 'app', key: 'wk_12345678' },
    ]);
  });

  it('requires real write keys, import keys and API tokens in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/COLLECTOR_WRITE_KEYS[\s\S]*COLLECTOR_IMPORT_KEYS[\s\S]*API_TOKENS/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        COLLECTOR_WRITE_KEYS: 'web=wk_live_123456',
        COLLECTOR_IMPORT_KEYS: 'crm=ik_live_123456',
        COLLECTOR_LINK_SECRET: 'a-long-production-secret',
        API_TOKENS: 'crm=tok_live_0123456789abcdef/leads:read',
      }).env,
    ).toBe('production');
  });

  it('parses internal ranges and domains', () => {
    const config = loadConfig({ INTERNAL_IP_RANGES: '10.0.0.0/8, 2001:db8::/32,192.168.1.7', INTERNAL_EMAIL_DOMAINS: 'acme.example' });
    expect(config.noise.internalRanges).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.168.1.7']);
    expect(config.noise.internalEmailDomains).toEqual(['acme.example']);
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud', KAFKA_BROKERS: 'x' })).toThrowError(/LOG_LEVEL[\s\S]*KAFKA_BROKERS/);
  });

  it('never shows the value of a secret variable', () => {
    expect(variables.CLICKHOUSE_PASSWORD.secret).toBe(true);
  });

  it('documents every variable with a default that itself parses', () => {
    for (const [name, spec] of Object.entries(variables)) {
      expect(spec.doc.length, name).toBeGreaterThan(10);
      expect(spec.schema.safeParse(spec.default).success || spec.default === '', name).toBe(true);
    }
  });
});
