import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { intakeBatch, intakeMessage, LIMITS, policyRefusal, type FieldIssue, type MessageType, type PolicyName, type Rejection, type Source, type TrackedEvent } from '@leadscore/events';
import { internalNetworks, type NoiseSettings } from '@leadscore/tracking';
import type { Logger } from '@leadscore/log';
import { SourceKeys, type KeyEntry } from './auth.ts';
import { BadRequestError, isDecompressionError, registerBodyHandling } from './body.ts';
import type { CollectorMetrics } from './metrics.ts';
import { KafkaUnavailableError, type ProduceBuffer } from './produce-buffer.ts';
import { createEventSink } from './event-sink.ts';
import { refuseWithoutIdentity } from '@leadscore/identity';
import { describeLimit, type RateLimiter } from './rate-limit.ts';
import { registerEmailRoutes } from './routes/email.ts';
import { registerTrackerRoutes } from './routes/tracker.ts';

export interface CollectorSettings {
  readonly writeKeys: readonly KeyEntry[];
  readonly importKeys: readonly KeyEntry[];
  readonly maxFutureMs: number;
  readonly maxPastMs: number;
  readonly corsOrigins: readonly string[];
  /** Where browsers reach the collector (for analytics.js settings); empty: the request's own host. */
  readonly publicUrl?: string;
  /** What each source may send (see source-policy.ts); a source not named may send anything. */
  readonly sourcePolicies?: Readonly<Record<string, PolicyName>>;
  /** Identity-verification secrets of browser sources (context.userHash). */
  readonly identitySecrets?: Readonly<Record<string, string>>;
  /** Proxies whose X-Forwarded-* headers are believed (CIDR); none: the socket address and Host header only. */
  readonly trustedProxies?: readonly string[];
  /** Serve the tracker's demo page (development). */
  readonly demo?: boolean;
  readonly noise: NoiseSettings;
  readonly email: { readonly linkSecret: string; readonly redirectHosts: readonly string[] };
  readonly topics: { readonly events: string; readonly deadLetter: string };
}

export interface CollectorDeps {
  readonly log: Logger;
  readonly buffer: ProduceBuffer;
  readonly metrics: CollectorMetrics;
  /** Whether Kafka answers now, for /readyz. */
  readonly kafkaReady: () => Promise<boolean>;
  /** Counts messages dropped for withheld consent, per source (kept in Redis by the service). */
  readonly consentWithheld?: (source: Source, count: number) => Promise<void>;
  /** Messages per source per window (shared by instances through Redis); none: unlimited. */
  readonly rateLimiter?: RateLimiter;
  readonly now?: () => Date;
}

/** Seconds a client should wait before retrying when Kafka cannot take its events. */
const RETRY_AFTER_SECONDS = 5;

/** Segment's routes, and the one-letter ones analytics.js (analytics-next) posts to. */
const singleRoutes: Record<string, MessageType> = {
  '/v1/track': 'track',
  '/v1/page': 'page',
  '/v1/screen': 'screen',
  '/v1/identify': 'identify',
  '/v1/group': 'group',
  '/v1/alias': 'alias',
  '/v1/t': 'track',
  '/v1/p': 'page',
  '/v1/s': 'screen',
  '/v1/i': 'identify',
  '/v1/g': 'group',
  '/v1/a': 'alias',
};

const batchRoutes = [
  ['/v1/batch', 'segment'],
  ['/v1/b', 'segment'],
  ['/v1/import', 'import'],
] as const;

type Rejected = { index: number; messageId?: string; reason: string; issues: readonly FieldIssue[] };

function withoutWriteKey(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('writeKey' in body)) return body;
  const { writeKey: _credential, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** Events of our own browser tracker say so in their library; their source kind tells them apart downstream. */
function fromTracker<T extends { context?: { library?: { name?: string | undefined } | undefined } | undefined; source: Source }>(event: T): T {
  return event.context?.library?.name === 'leadscore-tracker' && event.source.kind === 'segment' ? { ...event, source: { ...event.source, kind: 'tracker' } } : event;
}

/**
 * A browser's request comes from the person's own address, so it is their IP (internal-traffic rules need it),
 * whatever the page put in `context.ip`; a server SDK's request comes from the site's backend, whose address says
 * nothing about the person, so its `context.ip` stands. `request.ip` is the socket's address unless a trusted proxy
 * forwarded the request (COLLECTOR_TRUSTED_PROXIES).
 */
function browserIp(request: FastifyRequest): string | undefined {
  return request.headers.origin ? request.ip : undefined;
}

/**
 * The Segment-compatible HTTP API. Every accepted message is in Kafka before the client hears 200; every message
 * refused inside a batch is in the dead-letter topic with its reason before then too.
 */
export async function buildCollector(settings: CollectorSettings, deps: CollectorDeps): Promise<FastifyInstance> {
  const { log, buffer, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const writeKeys = new SourceKeys(settings.writeKeys);
  const importKeys = new SourceKeys(settings.importKeys);
  const sink = createEventSink({
    buffer,
    metrics,
    topics: settings.topics,
    noise: settings.noise,
    internalNetworks: internalNetworks(settings.noise.internalRanges),
    ...(deps.consentWithheld ? { consentWithheld: deps.consentWithheld } : {}),
  });
  /** The per-message rules: someone to give the event to, and what its source may send. */
  const check = (event: TrackedEvent): Rejection | undefined => {
    const policy = settings.sourcePolicies?.[event.source.id];
    return refuseWithoutIdentity(event) ?? (policy ? policyRefusal(event, policy, settings.identitySecrets?.[event.source.id]) : undefined);
  };
  const withIp = <T extends { context?: { ip?: string | undefined } | undefined }>(event: T, ip: string | undefined): T =>
    ip === undefined || event.context?.ip === ip ? event : { ...event, context: { ...event.context, ip } };

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: LIMITS.batchBytes,
    // X-Forwarded-* from anyone else is a client's say-so: it would pass as internal traffic, or point the cached
    // analytics.js settings at another host.
    trustProxy: settings.trustedProxies && settings.trustedProxies.length > 0 ? [...settings.trustedProxies] : false,
    return503OnClosing: true,
    // No line per request: one would cost more than the request itself, and its URL carries email links' query
    // (the recipient's address, the key). Errors are logged by the error handler, with the route, not the URL.
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerBodyHandling(app);
  await app.register(cors, {
    origin: settings.corsOrigins.includes('*') ? true : [...settings.corsOrigins],
    methods: ['GET', 'POST', 'OPTIONS'],
    // Request headers are reflected: analytics.js adds x-retry-count on retries, and a preflight that refused it
    // would block every retry. Retry-After must be readable by scripts for them to honour it.
    exposedHeaders: ['Retry-After'],
    maxAge: 86_400,
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    if (error instanceof KafkaUnavailableError) {
      metrics.rejected.inc({ route, reason: 'kafka_unavailable' });
      log.warn({ err: error, route }, 'Kafka unavailable; answering 503');
      return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error: 'unavailable', message: 'events could not be stored now; retry later' });
    }
    if (error instanceof BadRequestError) {
      metrics.rejected.inc({ route, reason: error.code });
      return reply.code(400).send({ error: error.code, message: error.message });
    }
    if (isDecompressionError(error)) {
      metrics.rejected.inc({ route, reason: 'invalid_encoding' });
      return reply.code(400).send({ error: 'invalid_encoding', message: `body does not decompress as ${String(request.headers['content-encoding'])}: ${error.message}` });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      metrics.rejected.inc({ route, reason: 'too_large' });
      const isBatch = batchRoutes.some(([r]) => r === route);
      return reply.code(413).send({ error: 'payload_too_large', message: `body exceeds ${isBatch ? LIMITS.batchBytes : LIMITS.messageBytes} bytes` });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      metrics.rejected.inc({ route, reason: error.code ?? 'bad_request' });
      return reply.code(error.statusCode).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    log.error({ err: error, route }, 'collector request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  function authenticate(request: FastifyRequest, reply: FastifyReply, keys: SourceKeys, kind: Source['kind']): Source | undefined {
    const source = keys.authenticate(request.headers.authorization, request.body, kind);
    if (!source) {
      metrics.rejected.inc({ route: request.routeOptions.url ?? 'unknown', reason: 'unauthorized' });
      void reply
        .code(401)
        .header('WWW-Authenticate', 'Basic realm="leadscore", charset="UTF-8"')
        .send({ error: 'unauthorized', message: kind === 'import' ? 'a valid import key is required (HTTP Basic user name or writeKey)' : 'a valid write key is required (HTTP Basic user name or writeKey)' });
    }
    return source;
  }

  /** Takes a request's messages from its source's budget; false when it answered 429 or 413 instead. */
  async function withinLimit(request: FastifyRequest, reply: FastifyReply, source: Source, messages: number): Promise<boolean> {
    if (!deps.rateLimiter) return true;
    const decision = await deps.rateLimiter.take(source, messages);
    if (decision.ok) return true;
    const route = request.routeOptions.url ?? 'unknown';
    if ('tooLarge' in decision) {
      metrics.rejected.inc({ route, reason: 'over_rate_limit' });
      void reply.code(413).send({ error: 'payload_too_large', message: `${messages} messages in one request exceed source ${source.id}'s rate limit of ${describeLimit(decision.limit)}: send smaller batches` });
      return false;
    }
    metrics.rejected.inc({ route, reason: 'rate_limited' });
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    void reply.code(429).header('Retry-After', String(seconds)).send({ error: 'rate_limited', message: `source ${source.id} may send ${describeLimit(decision.limit)}; retry in ${seconds} s` });
    return false;
  }

  for (const [route, kind] of batchRoutes) {
    app.post(route, async (request, reply) => {
      const source = authenticate(request, reply, kind === 'import' ? importKeys : writeKeys, kind);
      if (!source) return reply;
      const body = withoutWriteKey(request.body);
      // A body of `null` or a bare value is no batch: intakeBatch refuses it by name below (found by pnpm fuzz: read
      // as an object, it was a 500).
      const size = typeof body === 'object' && body !== null ? (body as { batch?: unknown }).batch : undefined;
      if (Array.isArray(size) && size.length > LIMITS.batchMessages) {
        metrics.rejected.inc({ route, reason: 'too_many_messages' });
        return reply.code(413).send({ error: 'payload_too_large', message: `batch has ${size.length} messages; the limit is ${LIMITS.batchMessages}` });
      }
      if (!(await withinLimit(request, reply, source, Array.isArray(size) ? size.length : 0))) return reply;
      const result = intakeBatch(body, {
        receivedAt: now(),
        source,
        maxFutureMs: settings.maxFutureMs,
        maxPastMs: kind === 'import' ? null : settings.maxPastMs,
        check,
      });
      if ('invalid' in result) {
        metrics.rejected.inc({ route, reason: result.reason });
        const message = result.invalid.path === 'batch' ? 'body must be { "batch": [ messages ] }' : `the batch-wide ${result.invalid.path} cannot be stored: ${result.invalid.message}`;
        return reply.code(400).send({ error: result.reason, message, issues: [result.invalid] });
      }
      const ip = browserIp(request);
      const { stored, withheld } = await sink.store(route, source, result.accepted.map((e) => fromTracker(withIp(e, ip))), result.rejected);
      const rejected: Rejected[] = result.rejected.map(({ raw: _raw, ...r }) => r);
      return reply.send({ success: true, accepted: stored, ...(withheld ? { consentWithheld: withheld } : {}), ...(rejected.length ? { rejected } : {}) });
    });
  }

  for (const [route, type] of Object.entries(singleRoutes)) {
    app.post(route, { bodyLimit: LIMITS.messageBytes }, async (request, reply) => {
      const source = authenticate(request, reply, writeKeys, 'segment');
      if (!source) return reply;
      if (!(await withinLimit(request, reply, source, 1))) return reply;
      const result = intakeMessage(withoutWriteKey(request.body), {
        receivedAt: now(),
        source,
        maxFutureMs: settings.maxFutureMs,
        maxPastMs: settings.maxPastMs,
        impliedType: type,
        check,
      });
      if (!result.ok) {
        metrics.rejected.inc({ route, reason: result.reason });
        return reply.code(result.reason === 'too_large' ? 413 : result.reason === 'not_permitted' ? 403 : 400).send({ error: result.reason, issues: result.issues });
      }
      await sink.store(route, source, [withIp(result.event, browserIp(request))]);
      return reply.send({ success: true });
    });
  }

  // analytics.js loads its settings before it sends anything; these point it back at this collector.
  app.get<{ Params: { writeKey: string } }>('/v1/projects/:writeKey/settings', async (request, reply) => {
    const source = writeKeys.authenticate(undefined, { writeKey: request.params.writeKey }, 'segment');
    if (!source) return reply.code(404).send({ error: 'not_found', message: 'unknown write key' });
    // Without a configured public URL the answer names the host this request came to, which the client chose: it is
    // then never kept by a shared cache, so one client's Host header cannot reach another's browser.
    const base = new URL(settings.publicUrl || `${request.protocol}://${request.host}`);
    return reply.header('Cache-Control', settings.publicUrl ? 'public, max-age=300' : 'private, max-age=300').send({
      integrations: {
        'Segment.io': { apiKey: request.params.writeKey, apiHost: `${base.host}${base.pathname.replace(/\/$/, '')}/v1`, protocol: base.protocol.replace(':', '') },
      },
      plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    });
  });

  // analytics.js reports its own counters here; they are not events. Counted, then dropped.
  app.post('/v1/m', async (_request, reply) => {
    metrics.rejected.inc({ route: '/v1/m', reason: 'sdk_metrics' });
    return reply.send({ success: true });
  });

  await registerEmailRoutes(app, { keys: writeKeys, sink, metrics, log, noise: settings.noise, ...settings.email, now });
  await registerTrackerRoutes(app, { demo: settings.demo ?? false, ...(settings.writeKeys[0] ? { demoWriteKey: settings.writeKeys[0].key } : {}) });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await deps.kafkaReady().catch(() => false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'kafka unreachable' });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  return app;
}
