import { z } from 'zod';

/**
 * Every variable the services read, with its default (as one would write it in the environment), its meaning, and
 * the schema that parses it. The README's configuration table is checked against this list by a test.
 */
export interface VariableSpec {
  readonly section: 'general' | 'kafka' | 'redis' | 'clickhouse' | 'collector' | 'noise' | 'ingest' | 'alerts' | 'rollups' | 'api';
  readonly default: string;
  readonly doc: string;
  readonly schema: z.ZodType;
  /** Values of secret variables never appear in error messages or logs. */
  readonly secret?: boolean;
}

const port = z.coerce.number().int().min(1).max(65535);

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'expected host:port')
  .refine((s) => port.safeParse(s.slice(s.lastIndexOf(':') + 1)).success, 'port must be 1–65535');

const brokerList = z
  .string()
  .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b.length > 0))
  .pipe(z.array(hostPort).min(1, 'expected at least one host:port'));

const urlWithProtocols = (protocols: readonly string[]) =>
  z
    .string()
    .refine((s) => URL.canParse(s), 'expected a URL')
    .refine((s) => !URL.canParse(s) || protocols.includes(new URL(s).protocol), `protocol must be one of ${protocols.join(', ')}`);

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as Europe/Berlin or Asia/Shanghai');

/** Topic names, Redis keys and ClickHouse database names must all accept it. */
const namespaceName = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'expected lower-case letters, digits and _, starting with a letter, at most 48 characters');

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/** `source=key,source=key`: a write key per source; the source id names where events came from. */
const keyList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(
    z.array(
      z.string().regex(/^[a-z][a-z0-9_-]{0,63}=[A-Za-z0-9_.\-]{8,200}$/, 'expected source=key pairs (source: lower-case id; key: 8–200 letters, digits, _ . -)'),
    ),
  )
  .transform((pairs) => pairs.map((p) => ({ source: p.slice(0, p.indexOf('=')), key: p.slice(p.indexOf('=') + 1) })))
  .refine((pairs) => new Set(pairs.map((p) => p.key)).size === pairs.length, 'the same key is given to two sources');

/** `web=500/s,shop=50/s,*=1000/s`: messages per second or minute per source (`*`: every write-key source not named). */
const rateLimitList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(z.string().regex(/^([a-z][a-z0-9_-]{0,63}|\*)=\d{1,9}\/(s|min)$/, 'expected source=N/s or source=N/min pairs, e.g. web=500/s,*=1000/s')))
  .transform((pairs) =>
    pairs.map((p) => {
      const [source, rate] = p.split('=') as [string, string];
      const [count, unit] = rate.split('/') as [string, string];
      return { source, messages: Number(count), windowMs: unit === 's' ? 1000 : 60_000 };
    }),
  )
  .refine((limits) => limits.every((l) => l.messages > 0), 'a limit must allow at least one message')
  .refine((limits) => new Set(limits.map((l) => l.source)).size === limits.length, 'a source is given two limits');

/** `web=browser,shop=shop`: the policy (source-policy.ts in packages/events) of each named source. */
const policyList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,63}=(browser|shop|crm|server)$/, 'expected source=policy pairs, policy one of browser, shop, crm, server')))
  .transform((pairs) => Object.fromEntries(pairs.map((p) => p.split('=') as [string, 'browser' | 'shop' | 'crm' | 'server'])));

/** `web=<secret>`: a secret per source, at least 16 characters. */
const secretList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,63}=\S{16,200}$/, 'expected source=secret pairs, each secret 16–200 characters without spaces or commas')))
  .transform((pairs) => Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])));

const commaList = (item: z.ZodString) =>
  z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
    .pipe(z.array(item));

const cidr = z.string().refine((s) => {
  const [address, bits, extra] = s.split('/');
  const v4 = /^(\d{1,3})(\.\d{1,3}){3}$/.test(address ?? '') && (address ?? '').split('.').every((o) => Number(o) <= 255);
  const v6 = !v4 && /^[0-9a-fA-F:]+$/.test(address ?? '') && (address ?? '').includes(':');
  const max = v4 ? 32 : 128;
  return (v4 || v6) && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max));
}, 'expected IP ranges in CIDR form, e.g. 10.0.0.0/8,192.168.0.0/16');

const hostRule = z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'expected host names such as www.example.com or *.example.com');

const originList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(z.union([z.literal('*'), z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/, 'expected * or origins such as https://www.example.com')])));

/** `EUR=1.08,CNY=0.14`: units of the reporting currency per unit of each other currency. */
const rateList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Z]{3}=\d+(\.\d+)?$/, 'expected CUR=rate pairs such as EUR=1.08,CNY=0.14 (three capital letters, a positive number)')))
  .transform((pairs) => Object.fromEntries(pairs.map((p) => [p.slice(0, 3), Number(p.slice(4))])) as Record<string, number>)
  .refine((rates) => Object.values(rates).every((r) => r > 0 && Number.isFinite(r)), 'every rate must be above 0');

const days = (max: number) => z.coerce.number().int().min(1).max(max);

export const API_SCOPES = ['leads:read', 'analytics:read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** `name=token/scope+scope,…`: the API's bearer tokens, each with a name (for logs) and its scopes. */
const apiTokenList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,63}=[A-Za-z0-9_.\-]{16,200}\/[a-z:+]+$/, 'expected name=token/scopes entries (token: 16–200 letters, digits, _ . -; scopes joined by +)')
        .refine((p) => p.slice(p.lastIndexOf('/') + 1).split('+').every((sc) => (API_SCOPES as readonly string[]).includes(sc)), `scopes are ${API_SCOPES.join(', ')}`),
    ),
  )
  .transform((entries) =>
    entries.map((e) => ({ name: e.slice(0, e.indexOf('=')), token: e.slice(e.indexOf('=') + 1, e.lastIndexOf('/')), scopes: e.slice(e.lastIndexOf('/') + 1).split('+') as ApiScope[] })),
  )
  .refine((tokens) => new Set(tokens.map((t) => t.token)).size === tokens.length, 'the same token is given twice');

/** `80,15`: the A share and the B share of revenue, in percent. */
const abcShares = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*,\s*\d+(\.\d+)?\s*$/, 'expected two percentages such as 80,15 (A, then B)')
  .transform((s) => s.split(',').map((p) => Number(p.trim())) as [number, number])
  .refine(([a, b]) => a > 0 && b > 0 && a + b <= 100, 'A and B must be above 0 and add up to at most 100')
  .transform(([a, b]) => ({ a: a / 100, b: (a + b) / 100 }));

export const variables = {
  NODE_ENV: {
    section: 'general',
    default: 'development',
    doc: 'development, test or production; production turns on the safer defaults (e.g. refusing private webhook targets).',
    schema: z.enum(['development', 'test', 'production']),
  },
  LOG_LEVEL: {
    section: 'general',
    default: 'info',
    doc: 'pino level: fatal, error, warn, info, debug, trace or silent.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  },
  NAMESPACE: {
    section: 'general',
    default: 'leadscore',
    doc: 'Prefix of topic names, Redis keys and BullMQ queues, and the default ClickHouse database: several deployments (or test files) can share one set of services.',
    schema: namespaceName,
  },
  TIME_ZONE: {
    section: 'general',
    default: 'UTC',
    doc: 'IANA time zone in which days are counted (streaks, daily rollups).',
    schema: timeZone,
  },
  KAFKA_BROKERS: {
    section: 'kafka',
    default: '127.0.0.1:9092',
    doc: 'Comma-separated host:port list of Kafka brokers.',
    schema: brokerList,
  },
  KAFKA_CLIENT_ID: {
    section: 'kafka',
    default: 'leadscore',
    doc: 'Kafka client id prefix (the service name is appended).',
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected letters, digits, ., _ or -'),
  },
  KAFKA_EVENTS_PARTITIONS: {
    section: 'kafka',
    default: '6',
    doc: 'Partitions of the events topic when the project creates it: the most ingest workers that can share the work.',
    schema: positiveInt(1000),
  },
  KAFKA_REPLICATION_FACTOR: {
    section: 'kafka',
    default: '1',
    doc: 'Replication factor of the topics the project creates (1 on a single broker).',
    schema: positiveInt(10),
  },
  REDIS_URL: {
    section: 'redis',
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis URL (redis:// or rediss://, credentials and database number allowed).',
    schema: urlWithProtocols(['redis:', 'rediss:']),
    // It may hold a password.
    secret: true,
  },
  CLICKHOUSE_URL: {
    section: 'clickhouse',
    default: 'http://127.0.0.1:8123',
    doc: 'ClickHouse HTTP interface.',
    schema: urlWithProtocols(['http:', 'https:']),
  },
  CLICKHOUSE_DATABASE: {
    section: 'clickhouse',
    default: '',
    doc: 'ClickHouse database of the project; empty means the value of NAMESPACE.',
    schema: z.union([z.literal(''), namespaceName]),
  },
  CLICKHOUSE_USER: {
    section: 'clickhouse',
    default: 'default',
    doc: 'ClickHouse user the services write as.',
    schema: z.string().regex(/^[A-Za-z0-9_.@-]+$/, 'expected a ClickHouse user name'),
  },
  CLICKHOUSE_PASSWORD: {
    section: 'clickhouse',
    default: '',
    doc: 'Password of CLICKHOUSE_USER.',
    schema: z.string(),
    secret: true,
  },
  CLICKHOUSE_CLUSTER: {
    section: 'clickhouse',
    default: '',
    doc: 'When set, migrations run ON CLUSTER this cluster with Replicated engines; empty for a single server.',
    schema: z.union([z.literal(''), z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a cluster name from remote_servers')]),
  },
  COLLECTOR_HOST: {
    section: 'collector',
    default: '127.0.0.1',
    doc: 'Address the collector listens on (0.0.0.0 to accept traffic from other hosts).',
    schema: z.string().min(1),
  },
  COLLECTOR_PORT: {
    section: 'collector',
    default: '8088',
    doc: 'Port of the collector (the Segment-compatible HTTP API).',
    schema: z.coerce.number().int().min(0).max(65535),
  },
  COLLECTOR_PUBLIC_URL: {
    section: 'collector',
    default: '',
    doc: 'The URL browsers reach the collector at, handed to analytics.js in its settings; empty: the host each request came to.',
    schema: z.union([z.literal(''), z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'expected an http(s) URL')]),
  },
  COLLECTOR_TRUSTED_PROXIES: {
    section: 'collector',
    default: '',
    doc: 'Addresses of the load balancers or proxies in front of the collector (CIDR, comma-separated): only their X-Forwarded-For, -Host and -Proto are believed. Empty: the socket address and the request itself are, whatever headers a client sets.',
    schema: commaList(cidr),
  },
  COLLECTOR_WRITE_KEYS: {
    section: 'collector',
    default: 'web=dev_write_key',
    doc: 'Write keys per source, `source=key,…`: what websites and SDKs send as HTTP Basic user or `writeKey`. Must be set in production.',
    schema: keyList,
    secret: true,
  },
  COLLECTOR_IMPORT_KEYS: {
    section: 'collector',
    default: 'import=dev_import_key',
    doc: 'Keys for /v1/import (historical events of any age), `source=key,…`; kept apart from write keys, which sites expose.',
    schema: keyList,
    secret: true,
  },
  COLLECTOR_SOURCE_POLICIES: {
    section: 'collector',
    default: '',
    doc: 'What each source may send, `source=policy,…`: browser (pages, its own events, a visitor\'s identify and forms; a signed-in user\'s or company\'s traits only with context.userHash; no orders, no alias), shop (orders and refunds, identify), crm (identify, group), server (anything). A write-key source not named is browser; an import-key source not named is server.',
    schema: policyList,
  },
  COLLECTOR_IDENTITY_SECRETS: {
    section: 'collector',
    default: '',
    doc: 'Identity-verification secrets of browser sources, `source=secret,…` (at least 16 characters): the site\'s backend sends a signed-in user\'s browser context.userHash = HMAC-SHA256(userId, secret) in hex, without which a browser key cannot set a user\'s or company\'s traits.',
    schema: secretList,
    secret: true,
  },
  COLLECTOR_RATE_LIMITS: {
    section: 'collector',
    default: '*=1000/s',
    doc: 'Messages each source may send, `source=N/s` or `N/min`, comma-separated; `*` is every write-key source not named (import sources are limited only when named). Counted in Redis, so shared by every collector instance; past it, 429 with Retry-After.',
    schema: rateLimitList,
  },
  COLLECTOR_MAX_FUTURE_SECONDS: {
    section: 'collector',
    default: '3600',
    doc: 'How far in the future an event time may lie after clock correction before it is refused.',
    schema: z.coerce.number().int().min(0).max(31 * 86_400),
  },
  COLLECTOR_MAX_AGE_DAYS: {
    section: 'collector',
    default: '30',
    doc: 'How old an event may be on the live routes; older history goes through /v1/import.',
    schema: positiveInt(3650),
  },
  COLLECTOR_CORS_ORIGINS: {
    section: 'collector',
    default: '*',
    doc: 'Origins browsers may send from, comma-separated, or * for any.',
    schema: originList,
  },
  COLLECTOR_LINK_SECRET: {
    section: 'collector',
    default: 'dev-link-secret-change-me',
    doc: 'Secret that signs email open pixels and click links (shared with the email tool); at least 16 characters. Must be set in production.',
    schema: z.string().min(16, 'must be at least 16 characters'),
    secret: true,
  },
  COLLECTOR_REDIRECT_HOSTS: {
    section: 'collector',
    default: 'localhost',
    doc: 'Hosts email click links may redirect to, comma-separated; `*.example.com` allows its subdomains. Anything else is refused (no open redirect).',
    schema: commaList(hostRule),
  },
  COLLECTOR_PRODUCE_TIMEOUT_MS: {
    section: 'collector',
    default: '5000',
    doc: 'How long a request waits for Kafka to acknowledge before it is answered 503 (the client retries).',
    schema: z.coerce.number().int().min(100).max(120_000),
  },
  COLLECTOR_LINGER_MS: {
    section: 'collector',
    default: '2',
    doc: 'How long concurrent requests are gathered into one Kafka produce request.',
    schema: z.coerce.number().int().min(0).max(1000),
  },
  INTERNAL_IP_RANGES: {
    section: 'noise',
    default: '',
    doc: 'The company\'s own networks (CIDR, comma-separated): their traffic is flagged internal and heats no lead.',
    schema: commaList(cidr),
  },
  INTERNAL_EMAIL_DOMAINS: {
    section: 'noise',
    default: '',
    doc: 'The company\'s own email domains (comma-separated): events of their staff are flagged internal.',
    schema: commaList(hostRule),
  },
  SCANNER_CLICK_SECONDS: {
    section: 'noise',
    default: '10',
    doc: 'An email click sooner than this after sending is flagged as a security scanner.',
    schema: z.coerce.number().int().min(0).max(3600),
  },
  SCANNER_BURST_SECONDS: {
    section: 'noise',
    default: '2',
    doc: 'Clicks on different links of one email by one recipient within this many seconds are flagged as a scanner.',
    schema: z.coerce.number().int().min(0).max(600),
  },
  EMAIL_CLICK_WINDOW_HOURS: {
    section: 'noise',
    default: '24',
    doc: 'A click on one link of one email by one recipient counts once per this many hours after the email was sent: fetching a signed link again (a refresh, a forwarded mail, a replay) adds no heat.',
    schema: z.coerce.number().min(0.01).max(8760),
  },
  RULES_FILE: {
    section: 'ingest',
    default: '',
    doc: 'YAML scoring rules (weights, half-lives, tiers, tags, roles, fit, alerts); empty: the built-in defaults. Read again on SIGHUP or change; an invalid change is refused and the old rules stay.',
    schema: z.string(),
  },
  ALERT_FRESHNESS_HOURS: {
    section: 'ingest',
    default: '24',
    doc: 'Alerts are for the present: a form or tier alert fires only for events at most this old (streaks must end today or yesterday in the zone), so a backfill alerts nobody.',
    schema: z.coerce.number().min(0.01).max(24 * 365),
  },
  QUIET_SWEEP_EVERY_MINUTES: {
    section: 'ingest',
    default: '60',
    doc: 'How often the scheduled sweep looks for leads gone quiet (the rules say after how long) to tag them for nurturing.',
    schema: z.coerce.number().min(0.01).max(7 * 24 * 60),
  },
  INGEST_METRICS_PORT: {
    section: 'ingest',
    default: '9464',
    doc: 'Port of the ingest worker\'s /metrics and /healthz (0: any free port).',
    schema: z.coerce.number().int().min(0).max(65535),
  },
  INGEST_FORM_ALERTS_PER_SOURCE_PER_HOUR: {
    section: 'ingest',
    default: '100',
    doc: 'Form alerts each source may raise an hour, across all leads and workers (a flood of fake submissions through a public key): past it, firings are refused and counted (ingest_alerts_refused_total, reason source_limit). Each lead also gets one alert per form rule per its cooldown (one day by default). 0: no limit per source.',
    schema: z.coerce.number().int().min(0).max(1_000_000),
  },
  INGEST_START_WITHOUT_OFFSETS: {
    section: 'ingest',
    default: 'refuse',
    doc: 'What a worker does with a partition its group has no committed offset for (a new group, or offsets the broker expired) when the partition holds records older than INGEST_DEDUP_WINDOW_DAYS, which the portraits would count twice: refuse (stop, naming the partitions), dedup-window (start at the first record within the window: the usual case, expired offsets) or earliest (apply them all: a new deployment reading history it never saw).',
    schema: z.enum(['refuse', 'dedup-window', 'earliest']),
  },
  INGEST_DEDUP_WINDOW_DAYS: {
    section: 'ingest',
    default: '7',
    doc: 'How long (processing time) a messageId is remembered per profile: any redelivery or replay within it changes nothing. Orders are counted once by order id beyond it (the newest 500 order ids per lead and company).',
    schema: z.coerce.number().min(0.0001).max(365),
  },
  INGEST_PARTITIONS_CONCURRENTLY: {
    section: 'ingest',
    default: '4',
    doc: 'Partition batches one worker processes at once.',
    schema: positiveInt(64),
  },
  INGEST_MAX_BATCH_BYTES: {
    section: 'ingest',
    default: '4194304',
    doc: 'Most bytes fetched per partition at once: bounds a batch, and so each Redis pipeline and ClickHouse insert.',
    schema: z.coerce.number().int().min(1024).max(64 * 1024 * 1024),
  },
  INGEST_CLICKHOUSE_LINGER_MS: {
    section: 'ingest',
    default: '1000',
    doc: 'How long ClickHouse rows wait for the rows of later batches to go in the same insert (one insert at a time per table): ClickHouse wants about one insert a second per table, whatever the event rate. The worker applies later batches to the portraits and decides their alerts meanwhile; a batch\'s offsets are committed once its rows are in. 0: each batch inserts on its own, at once, and is committed before the partition\'s next batch.',
    schema: z.coerce.number().int().min(0).max(10_000),
  },
  INGEST_MAX_PENDING_EVENTS: {
    section: 'ingest',
    default: '50000',
    doc: 'Events a worker may have applied to the portraits whose ClickHouse rows are not in yet; past it, partitions wait. Bounds the memory a slow or unreachable ClickHouse can take.',
    schema: positiveInt(1_000_000),
  },
  INGEST_STORE_TIMEOUT_MS: {
    section: 'ingest',
    default: '5000',
    doc: 'How long a batch waits for Redis before it is retried with backoff (its partition paused meanwhile).',
    schema: z.coerce.number().int().min(100).max(600_000),
  },
  INGEST_SESSION_TIMEOUT_MS: {
    section: 'ingest',
    default: '30000',
    doc: 'Kafka consumer session timeout: how soon the group hands a crashed worker\'s partitions to the others (the broker allows 6000 and up).',
    schema: z.coerce.number().int().min(6000).max(300_000),
  },
  INGEST_PROFILE_LOG_CAP: {
    section: 'ingest',
    default: '5000',
    doc: 'Contributions a visitor or provisional email lead keeps in Redis until it is linked into a lead, which replays them there once (known users keep none; ClickHouse keeps all events).',
    schema: positiveInt(1_000_000),
  },
  INGEST_VISITOR_TTL_DAYS: {
    section: 'ingest',
    default: '90',
    doc: 'An anonymous visitor\'s keys in Redis expire this long after its last event (a linked visitor\'s link too); a visitor back after that starts afresh, and is linked again when it identifies.',
    schema: z.coerce.number().min(1).max(3650),
  },
  INGEST_EVENT_ATTEMPTS: {
    section: 'ingest',
    default: '3',
    doc: 'Tries of an event that a store refuses (a Redis script or ClickHouse error on that event alone) before it becomes a dead letter with the error; its batch goes on. Outages (connections, timeouts) are retried without end.',
    schema: positiveInt(100),
  },
  FREE_MAIL_DOMAINS: {
    section: 'ingest',
    default: 'gmail.com,googlemail.com,outlook.com,hotmail.com,live.com,yahoo.com,icloud.com,me.com,aol.com,proton.me,protonmail.com,gmx.com,gmx.de,web.de,mail.ru,yandex.ru,qq.com,foxmail.com,163.com,126.com,yeah.net,sina.com,sohu.com,aliyun.com',
    doc: 'Email domains that say nothing about a person\'s company (comma-separated): no company is guessed from them.',
    schema: commaList(hostRule),
  },
  ALERTS_CONCURRENCY: {
    section: 'alerts',
    default: '4',
    doc: 'Hot-lead jobs one alerts worker delivers at once.',
    schema: positiveInt(256),
  },
  ALERTS_ATTEMPTS: {
    section: 'alerts',
    default: '8',
    doc: 'Delivery attempts before a job is kept as failed (listed by `pnpm alerts:failed`, re-sent by `pnpm alerts:redeliver`).',
    schema: positiveInt(100),
  },
  ALERTS_BACKOFF_MS: {
    section: 'alerts',
    default: '1000',
    doc: 'First retry delay; it doubles per attempt with full jitter, at least what Retry-After asks.',
    schema: z.coerce.number().int().min(1).max(3_600_000),
  },
  ALERTS_MAX_BACKOFF_MS: {
    section: 'alerts',
    default: '300000',
    doc: 'Longest retry delay (a longer Retry-After is capped to it).',
    schema: z.coerce.number().int().min(1).max(86_400_000),
  },
  ALERTS_CONNECT_TIMEOUT_MS: {
    section: 'alerts',
    default: '3000',
    doc: 'Connect timeout of a webhook or chat-bot delivery.',
    schema: z.coerce.number().int().min(10).max(120_000),
  },
  ALERTS_TIMEOUT_MS: {
    section: 'alerts',
    default: '10000',
    doc: 'Total timeout of one delivery attempt.',
    schema: z.coerce.number().int().min(10).max(600_000),
  },
  ALERTS_REFUSE_PRIVATE_TARGETS: {
    section: 'alerts',
    default: 'auto',
    doc: 'Refuse webhook targets that resolve to private, loopback or link-local addresses: true, false, or auto (true in production).',
    schema: z.enum(['auto', 'true', 'false']),
  },
  ALERTS_RATE_PER_MINUTE: {
    section: 'alerts',
    default: '60',
    doc: 'Most deliveries per channel per minute (chat bots limit their senders; e.g. WeCom 20/min); beyond it jobs wait.',
    schema: positiveInt(100_000),
  },
  ALERTS_LEAD_URL: {
    section: 'alerts',
    default: '',
    doc: 'Link to a lead in the dashboard, with {lead} for its id (e.g. https://crm.example/leads/{lead}); empty: no link.',
    schema: z.union([z.literal(''), z.string().refine((s) => s.includes('{lead}') && URL.canParse(s.replace('{lead}', 'x')), 'expected a URL containing {lead}')]),
  },
  ALERTS_SMTP_URL: {
    section: 'alerts',
    default: '',
    doc: 'SMTP server for email channels, smtp://user:pass@host:587 (smtps:// for TLS); empty: email channels are not available.',
    schema: z.union([z.literal(''), z.string().refine((s) => /^smtps?:\/\//.test(s) && URL.canParse(s), 'expected smtp://… or smtps://…')]),
    secret: true,
  },
  ALERTS_EMAIL_FROM: {
    section: 'alerts',
    default: 'leadscore <alerts@localhost>',
    doc: 'Sender of alert emails.',
    schema: z.string().min(3),
  },
  ALERTS_DIGEST_TICK_MS: {
    section: 'alerts',
    default: '30000',
    doc: 'How often channels in digest mode are checked for a digest that is due.',
    schema: z.coerce.number().int().min(100).max(3_600_000),
  },
  ALERTS_METRICS_PORT: {
    section: 'alerts',
    default: '9465',
    doc: 'Port of the alerts worker\'s /metrics and /healthz (0: any free port).',
    schema: z.coerce.number().int().min(0).max(65535),
  },
  ROLLUP_CURRENCY: {
    section: 'rollups',
    default: 'USD',
    doc: 'The reporting currency: the rollups report money in it, and rules\' `orderValue` conditions (the default big-customer tag) compare in it.',
    schema: z.string().regex(/^[A-Z]{3}$/, 'expected a three-letter currency code such as USD'),
  },
  ROLLUP_RATES: {
    section: 'rollups',
    default: '',
    doc: 'Conversion rates into ROLLUP_CURRENCY, e.g. `EUR=1.08,CNY=0.14`, for the rollups and for rules\' `orderValue` alike. An order in a currency without a rate is left out of the rollups (counted per currency in the snapshot summary) and matches no `orderValue` condition.',
    schema: rateList,
  },
  ROLLUP_WINDOW_DAYS: {
    section: 'rollups',
    default: '365',
    doc: 'Days of orders that RFM frequency and monetary (and ABC) count, up to the reference day.',
    schema: days(36_500),
  },
  ROLLUP_NEW_DAYS: {
    section: 'rollups',
    default: '90',
    doc: 'Lifecycle: a buyer whose first order is fewer than this many days old is new.',
    schema: days(36_500),
  },
  ROLLUP_ACTIVE_DAYS: {
    section: 'rollups',
    default: '180',
    doc: 'Lifecycle: a buyer with an order fewer than this many days old is active.',
    schema: days(36_500),
  },
  ROLLUP_DORMANT_DAYS: {
    section: 'rollups',
    default: '365',
    doc: 'Lifecycle: a buyer whose last order is fewer than this many days old (or with activity within ROLLUP_ACTIVITY_DAYS) is dormant; otherwise churned.',
    schema: days(36_500),
  },
  ROLLUP_ACTIVITY_DAYS: {
    section: 'rollups',
    default: '90',
    doc: 'Lifecycle: activity (any unflagged event) fewer than this many days old keeps a lapsed buyer dormant rather than churned.',
    schema: days(36_500),
  },
  ROLLUP_ABC_SHARES: {
    section: 'rollups',
    default: '80,15',
    doc: 'ABC classes: A are the buyers making the first 80 % of the window\'s net revenue, B the next 15 %, C the rest.',
    schema: abcShares,
  },
  ROLLUP_EVERY_MINUTES: {
    section: 'rollups',
    default: '60',
    doc: 'How often services/rollups takes a snapshot (a BullMQ job scheduler: one run per interval across all its workers, one at a time).',
    schema: z.coerce.number().min(0.05).max(10_080),
  },
  ROLLUP_RETENTION_MONTHS: {
    section: 'rollups',
    default: '25',
    doc: 'Months of raw events, timelines, score ledger lines and alert deliveries ClickHouse keeps, the current one included; older month partitions are dropped after each snapshot, except order and refund events, kept at any age (first purchase, lifetime value). 0 keeps everything.',
    schema: z.coerce.number().int().min(0).max(1200),
  },
  ROLLUP_WRITE_BACK_CHUNK: {
    section: 'rollups',
    default: '1000',
    doc: 'Leads or companies whose snapshot verdict is written to their Redis portraits per pipeline.',
    schema: positiveInt(100_000),
  },
  ROLLUPS_METRICS_PORT: {
    section: 'rollups',
    default: '9466',
    doc: 'Port of the rollups worker\'s /metrics and /healthz.',
    schema: port,
  },
  ROLLUP_SEGMENT_MAP_FILE: {
    section: 'rollups',
    default: '',
    doc: 'A JSON file mapping segment names to RFM codes (all 125, each once), replacing the built-in map of 11 segments (packages/analytics/src/rfm-segments.json).',
    schema: z.string(),
  },
  API_HOST: {
    section: 'api',
    default: '127.0.0.1',
    doc: 'Address the sales and integration API listens on.',
    schema: z.string().min(1),
  },
  API_PORT: {
    section: 'api',
    default: '8090',
    doc: 'Port of the sales and integration API (and its /healthz, /readyz, /metrics, /openapi.json).',
    schema: port,
  },
  API_RANKING_SWEEP_SECONDS: {
    section: 'api',
    default: '30',
    doc: 'How often the hot list is ranked again (heat decays with no write), and tier changes of decay alone found.',
    schema: z.coerce.number().min(1).max(3600),
  },
  API_CHANGES_WEBHOOK_URL: {
    section: 'api',
    default: '',
    doc: 'Where the changes feed is pushed after each ranking sweep (a CRM keeping its score fields current), signed like the alert webhooks; empty: no push.',
    schema: z.union([z.literal(''), urlWithProtocols(['http:', 'https:'])]),
  },
  API_CHANGES_WEBHOOK_SECRET: {
    section: 'api',
    default: '',
    doc: 'Signing secret of the changes webhook (HMAC-SHA256 as in x-leadscore-signature); required with API_CHANGES_WEBHOOK_URL.',
    schema: z.string(),
    secret: true,
  },
  API_TOKENS: {
    section: 'api',
    default: 'dev=dev_api_token_change_me/admin',
    doc: 'Bearer tokens of the API, `name=token/scope+scope,…`; scopes: leads:read, analytics:read, admin (all). Must be set in production; tokens never appear in logs.',
    schema: apiTokenList,
    secret: true,
  },
} as const satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof variables;
export type RawConfig = { [K in VariableName]: z.output<(typeof variables)[K]['schema']> };
