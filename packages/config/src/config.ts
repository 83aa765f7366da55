import { z } from 'zod';
import { variables, type RawConfig, type VariableName } from './variables.ts';

export interface ConfigProblem {
  readonly variable: VariableName;
  /** The value as given, or `(secret)` for secret variables. */
  readonly value: string;
  readonly reason: string;
}

/** A bad environment: lists every bad variable with its value and why, so one start-up attempt shows them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems
        .map((p) => `  ${p.variable}=${p.value}: ${p.reason}`)
        .join('\n')}\n(see the configuration table in README.md)`,
    );
  }
}

const names = Object.keys(variables) as VariableName[];

const envSchema = z.object(
  Object.fromEntries(names.map((n) => [n, variables[n].schema])) as { [K in VariableName]: (typeof variables)[K]['schema'] },
);

function toConfig(raw: RawConfig) {
  return {
    env: raw.NODE_ENV,
    logLevel: raw.LOG_LEVEL,
    namespace: raw.NAMESPACE,
    timeZone: raw.TIME_ZONE,
    kafka: {
      brokers: raw.KAFKA_BROKERS,
      clientId: raw.KAFKA_CLIENT_ID,
      eventsPartitions: raw.KAFKA_EVENTS_PARTITIONS,
      replicationFactor: raw.KAFKA_REPLICATION_FACTOR,
    },
    redis: { url: raw.REDIS_URL },
    collector: {
      host: raw.COLLECTOR_HOST,
      port: raw.COLLECTOR_PORT,
      writeKeys: raw.COLLECTOR_WRITE_KEYS,
      importKeys: raw.COLLECTOR_IMPORT_KEYS,
      maxFutureMs: raw.COLLECTOR_MAX_FUTURE_SECONDS * 1000,
      maxPastMs: raw.COLLECTOR_MAX_AGE_DAYS * 86_400_000,
      corsOrigins: raw.COLLECTOR_CORS_ORIGINS,
      publicUrl: raw.COLLECTOR_PUBLIC_URL,
      trustedProxies: raw.COLLECTOR_TRUSTED_PROXIES,
      rateLimits: raw.COLLECTOR_RATE_LIMITS,
      sourcePolicies: raw.COLLECTOR_SOURCE_POLICIES,
      identitySecrets: raw.COLLECTOR_IDENTITY_SECRETS,
      linkSecret: raw.COLLECTOR_LINK_SECRET,
      redirectHosts: raw.COLLECTOR_REDIRECT_HOSTS,
      produceTimeoutMs: raw.COLLECTOR_PRODUCE_TIMEOUT_MS,
      lingerMs: raw.COLLECTOR_LINGER_MS,
    },
    noise: {
      internalRanges: raw.INTERNAL_IP_RANGES,
      internalEmailDomains: raw.INTERNAL_EMAIL_DOMAINS,
      scannerClickSeconds: raw.SCANNER_CLICK_SECONDS,
      scannerBurstSeconds: raw.SCANNER_BURST_SECONDS,
      clickWindowMs: Math.round(raw.EMAIL_CLICK_WINDOW_HOURS * 3_600_000),
    },
    ingest: {
      metricsPort: raw.INGEST_METRICS_PORT,
      rulesFile: raw.RULES_FILE === '' ? undefined : raw.RULES_FILE,
      alertFreshnessMs: Math.round(raw.ALERT_FRESHNESS_HOURS * 3_600_000),
      quietSweepEveryMs: Math.round(raw.QUIET_SWEEP_EVERY_MINUTES * 60_000),
      dedupWindowMs: Math.round(raw.INGEST_DEDUP_WINDOW_DAYS * 86_400_000),
      startWithoutOffsets: raw.INGEST_START_WITHOUT_OFFSETS,
      formAlertsPerSourcePerHour: raw.INGEST_FORM_ALERTS_PER_SOURCE_PER_HOUR,
      partitionsConcurrently: raw.INGEST_PARTITIONS_CONCURRENTLY,
      maxBatchBytes: raw.INGEST_MAX_BATCH_BYTES,
      storeTimeoutMs: raw.INGEST_STORE_TIMEOUT_MS,
      clickhouseLingerMs: raw.INGEST_CLICKHOUSE_LINGER_MS,
      maxPendingEvents: raw.INGEST_MAX_PENDING_EVENTS,
      sessionTimeoutMs: raw.INGEST_SESSION_TIMEOUT_MS,
      profileLogCap: raw.INGEST_PROFILE_LOG_CAP,
      visitorTtlMs: Math.round(raw.INGEST_VISITOR_TTL_DAYS * 86_400_000),
      eventAttempts: raw.INGEST_EVENT_ATTEMPTS,
      freeMailDomains: raw.FREE_MAIL_DOMAINS,
    },
    alerts: {
      concurrency: raw.ALERTS_CONCURRENCY,
      attempts: raw.ALERTS_ATTEMPTS,
      backoffMs: raw.ALERTS_BACKOFF_MS,
      maxBackoffMs: raw.ALERTS_MAX_BACKOFF_MS,
      connectTimeoutMs: raw.ALERTS_CONNECT_TIMEOUT_MS,
      timeoutMs: raw.ALERTS_TIMEOUT_MS,
      refusePrivateTargets: raw.ALERTS_REFUSE_PRIVATE_TARGETS === 'auto' ? raw.NODE_ENV === 'production' : raw.ALERTS_REFUSE_PRIVATE_TARGETS === 'true',
      ratePerMinute: raw.ALERTS_RATE_PER_MINUTE,
      leadUrl: raw.ALERTS_LEAD_URL === '' ? undefined : raw.ALERTS_LEAD_URL,
      smtpUrl: raw.ALERTS_SMTP_URL === '' ? undefined : raw.ALERTS_SMTP_URL,
      emailFrom: raw.ALERTS_EMAIL_FROM,
      metricsPort: raw.ALERTS_METRICS_PORT,
      digestTickMs: raw.ALERTS_DIGEST_TICK_MS,
    },
    /** The reporting currency and its rates: the rollups' money, and the rules' orderValue conditions. */
    money: { currency: raw.ROLLUP_CURRENCY, rates: raw.ROLLUP_RATES },
    rollups: {
      retentionMonths: raw.ROLLUP_RETENTION_MONTHS,
      reportingCurrency: raw.ROLLUP_CURRENCY,
      rates: raw.ROLLUP_RATES,
      windowDays: raw.ROLLUP_WINDOW_DAYS,
      newDays: raw.ROLLUP_NEW_DAYS,
      activeDays: raw.ROLLUP_ACTIVE_DAYS,
      dormantDays: raw.ROLLUP_DORMANT_DAYS,
      activityDays: raw.ROLLUP_ACTIVITY_DAYS,
      abc: raw.ROLLUP_ABC_SHARES,
      segmentMapFile: raw.ROLLUP_SEGMENT_MAP_FILE === '' ? undefined : raw.ROLLUP_SEGMENT_MAP_FILE,
      everyMs: Math.round(raw.ROLLUP_EVERY_MINUTES * 60_000),
      writeBackChunk: raw.ROLLUP_WRITE_BACK_CHUNK,
      metricsPort: raw.ROLLUPS_METRICS_PORT,
    },
    api: { host: raw.API_HOST, port: raw.API_PORT, tokens: raw.API_TOKENS, rankingSweepMs: Math.round(raw.API_RANKING_SWEEP_SECONDS * 1000),
      changesWebhook: raw.API_CHANGES_WEBHOOK_URL === '' ? undefined : { url: raw.API_CHANGES_WEBHOOK_URL, secret: raw.API_CHANGES_WEBHOOK_SECRET },
    },
    clickhouse: {
      url: raw.CLICKHOUSE_URL,
      database: raw.CLICKHOUSE_DATABASE === '' ? raw.NAMESPACE : raw.CLICKHOUSE_DATABASE,
      user: raw.CLICKHOUSE_USER,
      password: raw.CLICKHOUSE_PASSWORD,
      cluster: raw.CLICKHOUSE_CLUSTER === '' ? undefined : raw.CLICKHOUSE_CLUSTER,
    },
  };
}

export type Config = ReturnType<typeof toConfig>;

/**
 * Reads the configuration from an environment. An unset or empty variable takes its default; anything else must
 * parse, or a ConfigError names every bad variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const input = Object.fromEntries(
    names.map((n) => {
      const given = env[n];
      return [n, given === undefined || given === '' ? variables[n].default : given];
    }),
  );
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const issue of parsed.error.issues) {
      const variable = issue.path[0] as VariableName;
      if (seen.has(variable)) continue;
      seen.add(variable);
      const spec = variables[variable];
      const value = 'secret' in spec && spec.secret ? '(secret)' : JSON.stringify(input[variable]);
      problems.push({ variable, value, reason: issue.message });
    }
    throw new ConfigError(problems);
  }
  const raw = parsed.data as RawConfig;
  const problems = crossChecks(raw, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return toConfig(raw);
}

/** Rules across variables, or about where a value came from. */
function crossChecks(raw: RawConfig, env: Readonly<Record<string, string | undefined>>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (raw.API_CHANGES_WEBHOOK_URL !== '' && raw.API_CHANGES_WEBHOOK_SECRET.length < 16) {
    problems.push({ variable: 'API_CHANGES_WEBHOOK_SECRET', value: '(secret)', reason: 'must be at least 16 characters when API_CHANGES_WEBHOOK_URL is set' });
  }
  if (raw.ROLLUP_ACTIVE_DAYS > raw.ROLLUP_DORMANT_DAYS) {
    problems.push({ variable: 'ROLLUP_ACTIVE_DAYS', value: String(raw.ROLLUP_ACTIVE_DAYS), reason: `must not exceed ROLLUP_DORMANT_DAYS (${raw.ROLLUP_DORMANT_DAYS})` });
  }
  if (raw.NODE_ENV === 'production') {
    for (const name of ['COLLECTOR_WRITE_KEYS', 'COLLECTOR_IMPORT_KEYS', 'COLLECTOR_LINK_SECRET', 'API_TOKENS'] as const) {
      if (!env[name]) problems.push({ variable: name, value: '(unset)', reason: 'must be set in production: the development value is public' });
    }
  }
  return problems;
}

/** Exit status for a bad configuration (EX_CONFIG from sysexits.h), so supervisors can tell it from a crash. */
export const EXIT_CONFIG = 78;

/**
 * Each configured source's policy (what it may send, how far its identity claims are trusted): the named ones, a
 * write-key source not named is a browser's (its key is in web pages), an import-key source not named is a server.
 * One reading for the collector, which enforces it, and the ingest workers, which weigh email claims by it.
 */
export function sourcePoliciesOf(config: Config): Readonly<Record<string, 'browser' | 'shop' | 'crm' | 'server'>> {
  return {
    ...Object.fromEntries(config.collector.writeKeys.map((k) => [k.source, 'browser' as const])),
    ...Object.fromEntries(config.collector.importKeys.map((k) => [k.source, 'server' as const])),
    ...config.collector.sourcePolicies,
  };
}

/**
 * For entry points: the configuration, or a message naming the bad variables on stderr and exit 78.
 * Runs before any logger exists, which is why it writes to stderr itself.
 */
export function loadConfigOrExit(service: string, env: Readonly<Record<string, string | undefined>> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}
