import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ApiScope } from '@leadscore/config';
import type { Logger } from '@leadscore/log';
import { z } from 'zod';
import { allows, ApiTokens, type ApiToken, type Principal } from './auth.ts';
import type { ApiMetrics } from './metrics.ts';
import { docsPage, openApiDocument, type RouteDoc } from './openapi.ts';
import { readCompanyAnswer, readLeadAnswer, type ReadDeps } from './read-models.ts';
import { ackAnswer, ackBody, alertParams, alertsAnswer, alertsQuery, type AlertsView } from './alerts-view.ts';
import { erasureAnswer, type ErasureAnswer } from './erasure.ts';
import { hotQuery } from './ranking-plan.ts';
import { RankingExpired, type Ranking } from './ranking.ts';
import { Readable } from 'node:stream';
import { lifecycleAnswer, rfmAnswer, type AnalystView } from './analyst-view.ts';
import { serveDashboard } from './dashboard.ts';
import { conflictsAnswer, conflictsQuery, type ConflictsView } from './conflicts-view.ts';
import { mergeAnswer, mergeBody, MergeRefused, type ManualMerges } from './manual-merge.ts';
import { liveMessage, TooManyListeners, type LiveHub, type LiveMessage } from './live-hub.ts';
import { changesAnswer, changesQuery, companyAnswer, companyParams, exportQuery, exportRow, hotAnswer, hotRowOf, leadAnswer, leadParams } from './schemas.ts';

export interface ApiDeps extends ReadDeps {
  readonly ranking: Ranking;
  readonly alerts: AlertsView;
  /** Tier changes and alerts pushed to screens as they happen. */
  readonly live: LiveHub;
  readonly analyst: AnalystView;
  readonly conflicts: ConflictsView;
  /** Erases a lead at the person's request (see erasure.ts); undefined when nothing is known of it. */
  readonly erase: (id: string) => Promise<ErasureAnswer | undefined>;
  /** Merges by hand of two user leads that are one person. */
  readonly merges: ManualMerges;
  readonly log: Logger;
  readonly metrics: ApiMetrics;
  /** Whether Redis and ClickHouse answer now, for /readyz. */
  readonly ready: () => Promise<boolean>;
}

/** What a live stream may have unread before the screen is dropped. */
const LIVE_BUFFER_MAX = 1_048_576;
/** A comment line this often keeps proxies from closing a quiet stream. */
const LIVE_PING_MS = 15_000;

/** A route's scope when any known token may call it (who am I): authenticated, no scope needed. */
const ANY_TOKEN = 'any';

const whoamiAnswer = z.object({ name: z.string(), scopes: z.array(z.string()) });

/** A request that names a bad field: 400 with each field's path and what is wrong. */
class BadRequest extends Error {
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

const notFound = (reply: FastifyReply, what: string, id: string) => reply.code(404).send({ error: 'not_found', message: `no ${what} ${id}` });

function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'path' | 'query' | 'body'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new BadRequest(result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })));
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
interface Route extends RouteDoc {
  readonly handle: Handler;
}

/**
 * The sales and integration API: bearer tokens with scopes (401 without a known token, 403 without the scope),
 * requests parsed and answers typed by the zod schemas that /openapi.json is generated from, and a log line per request
 * that names the token, never shows it.
 */
export async function buildApi(settings: { readonly tokens: readonly ApiToken[]; readonly version: string }, deps: ApiDeps): Promise<FastifyInstance> {
  const tokens = new ApiTokens(settings.tokens);
  // Closing ends kept-alive connections at once: a shutdown would otherwise wait out their 72 s keep-alive timeout.
  const app = Fastify({ logger: false, bodyLimit: 1_048_576, forceCloseConnections: true });
  const principals = new WeakMap<FastifyRequest, Principal>();
  /** Open live streams: ended when the server closes, which would otherwise wait for every screen to go away. */
  const streams = new Set<import('node:http').ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of streams) raw.end();
  });

  const routes: Route[] = [
    {
      method: 'GET',
      url: '/leads/hot',
      scope: 'leads:read',
      summary: 'Leads by priority (grade and tier, then heat) as the last ranking sweep found them; filters: company, owner, region, tag, role, tier, stage; a cursor pages one ranking',
      query: hotQuery,
      response: hotAnswer,
      handle: async (request, reply) => {
        const q = parse(hotQuery, request.query, 'query');
        try {
          const page = await deps.ranking.page(q);
          if (!page) return reply.code(503).header('retry-after', '5').send({ error: 'not_ready', message: 'no ranking yet: the first sweep has not run' });
          return { ranking: new Date(page.version).toISOString(), leads: page.leads.map(({ score: _s, ...e }) => hotRowOf(e)), cursor: page.cursor };
        } catch (err) {
          if (err instanceof RankingExpired) return reply.code(410).send({ error: 'gone', message: 'the ranking this cursor pages has expired: start again without a cursor' });
          if (err instanceof RangeError) throw new BadRequest([{ path: 'query.cursor', message: err.message }]);
          throw err;
        }
      },
    },
    {
      method: 'GET',
      url: '/leads/changes',
      scope: 'leads:read',
      summary: 'Tier (decay alone included), grade, lifecycle stage and role changes in order, from a resumable cursor, so a CRM keeps its score fields current',
      query: changesQuery,
      response: changesAnswer,
      handle: async (request) => {
        const q = parse(changesQuery, request.query, 'query');
        return deps.ranking.changes(q.cursor, q.limit);
      },
    },
    {
      method: 'GET',
      url: '/live',
      scope: 'leads:read',
      summary: 'Server-sent events as the ingest path moves a lead into another tier or fires an alert, and as a ranking sweep finds a change (decay, grade, stage, role): each with the lead\'s hot-list row as of now, so a screen updates without polling',
      response: liveMessage,
      eventStream: true,
      handle: async (request, reply) => {
        const raw = reply.raw;
        const write = (text: string) => {
          // A screen that does not read is dropped rather than buffered without end; it reconnects and reloads.
          if (raw.writableLength > LIVE_BUFFER_MAX) return void raw.destroy();
          raw.write(text);
        };
        let stop: () => void;
        try {
          stop = deps.live.listen((m: LiveMessage) => write(`event: lead\ndata: ${JSON.stringify(m)}\n\n`));
        } catch (err) {
          if (err instanceof TooManyListeners) return reply.code(503).header('retry-after', '30').send({ error: 'busy', message: err.message });
          throw err;
        }
        reply.hijack();
        streams.add(raw);
        raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no', 'x-content-type-options': 'nosniff' });
        write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
        const ping = setInterval(() => write(': ping\n\n'), LIVE_PING_MS);
        request.raw.once('close', () => {
          clearInterval(ping);
          stop();
          streams.delete(raw);
        });
        deps.log.info({ method: 'GET', route: '/live', token: principals.get(request)?.name, listeners: deps.live.listeners }, 'live stream opened');
      },
    },
    {
      method: 'GET',
      url: '/whoami',
      scope: ANY_TOKEN,
      summary: 'The token\'s name and scopes: what the dashboard shows after a login',
      response: whoamiAnswer,
      handle: async (request) => {
        const p = principals.get(request) as Principal;
        return { name: p.name, scopes: [...p.scopes] };
      },
    },
    {
      method: 'GET',
      url: '/leads/:id',
      scope: 'leads:read',
      summary: 'A lead\'s portrait: traits, tags by kind, role, fit grade, heat now and over two weeks, the ledger that explains it, lifecycle stage, RFM segment and ABC class, recent events',
      params: leadParams,
      response: leadAnswer,
      handle: async (request, reply) => {
        const { id } = parse(leadParams, request.params, 'path');
        const answer = await readLeadAnswer(deps, id);
        return answer ?? notFound(reply, 'lead', id);
      },
    },
    {
      method: 'GET',
      url: '/leads/:id/alerts',
      scope: 'leads:read',
      summary: 'A lead\'s alerts of about the last week, newest first, each with its channels\' delivery outcomes and who took it',
      params: leadParams,
      response: alertsAnswer,
      handle: async (request, reply) => {
        const { id } = parse(leadParams, request.params, 'path');
        return (await deps.alerts.forLead(id)) ?? notFound(reply, 'lead', id);
      },
    },
    {
      method: 'GET',
      url: '/identity/conflicts',
      scope: 'leads:read',
      summary: 'Identity conflicts the ingest workers refused to resolve on their own (two known leads claiming one email), newest first, for a person to resolve',
      query: conflictsQuery,
      response: conflictsAnswer,
      handle: async (request) => deps.conflicts.list(parse(conflictsQuery, request.query, 'query').limit),
    },
    {
      method: 'GET',
      url: '/analytics/rfm',
      scope: 'analytics:read',
      summary: 'The RFM grid of the latest analysts\' snapshot: buyers and revenue by recency and frequency score, with the SQL that made it (docs/analysts.md)',
      response: rfmAnswer,
      handle: async () => deps.analyst.rfm(),
    },
    {
      method: 'GET',
      url: '/analytics/lifecycle',
      scope: 'analytics:read',
      summary: 'The lifecycle funnel per snapshot (leads per stage), oldest first, with the SQL that made it (docs/analysts.md)',
      response: lifecycleAnswer,
      handle: async () => deps.analyst.lifecycle(),
    },
    {
      method: 'GET',
      url: '/leads/export',
      scope: 'leads:read',
      summary: 'Every lead\'s scores with their reasons, streamed as NDJSON (one row per line) or CSV, from the current ranking',
      query: exportQuery,
      response: exportRow,
      handle: async (request, reply) => {
        const { format } = parse(exportQuery, request.query, 'query');
        const version = await deps.ranking.version();
        if (version === undefined) return reply.code(503).header('retry-after', '5').send({ error: 'not_ready', message: 'no ranking yet: the first sweep has not run' });
        const rankedAt = new Date(version).toISOString();
        const rows = deps.ranking.entries();
        const csvCell = (v: unknown) => {
          const text = Array.isArray(v) ? v.join(' ') : v === null || v === undefined ? '' : String(v);
          // Quoted, and a leading = + - @ neutralised, so a spreadsheet never runs a cell as a formula.
          return `"${(/^[=+\-@]/.test(text) ? `'${text}` : text).replaceAll('"', '""')}"`;
        };
        const columns = Object.keys(exportRow.shape) as (keyof typeof exportRow.shape)[];
        async function* lines(): AsyncGenerator<string> {
          if (format === 'csv') yield `${columns.join(',')}\n`;
          for await (const e of rows) {
            const row = exportRow.parse({ lead: e.lead, tier: e.tier, grade: e.grade, heat: e.heat, priority: e.priority, company: e.company, role: e.role, stage: e.stage, tags: e.tags, fit: e.fit, rankedAt });
            yield format === 'csv' ? `${columns.map((c) => csvCell(row[c])).join(',')}\n` : `${JSON.stringify(row)}\n`;
          }
        }
        return reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
          .header('content-disposition', `attachment; filename="leads-${rankedAt.slice(0, 10)}.${format}"`)
          .send(Readable.from(lines()));
      },
    },
    {
      method: 'DELETE',
      url: '/leads/:id',
      scope: 'admin',
      summary: 'Privacy erasure: the lead\'s Redis keys and index entries, its queued alerts, its rows in ClickHouse (mutations, asynchronous), and its identities suppressed so later events for them are dropped; the answer lists what was removed',
      params: leadParams,
      response: erasureAnswer,
      handle: async (request, reply) => {
        const { id } = parse(leadParams, request.params, 'path');
        const answer = await deps.erase(id);
        if (!answer) return notFound(reply, 'lead', id);
        deps.log.info({ lead: answer.lead, profiles: answer.profiles.length, keys: answer.redis.keys }, 'lead erased');
        return reply.code(202).send(answer);
      },
    },
    {
      method: 'POST',
      url: '/leads/:id/merge',
      scope: 'admin',
      summary: 'Merges by hand: `other` (a user lead) is the same person as this lead. Its events, history and identities become the lead\'s (the ingest workers apply it within seconds), analytic queries resolve its events to the lead, and GET /identity/conflicts no longer lists the pair; `pnpm rescore --lead <id>` then rebuilds the portrait exactly from every stored event',
      params: leadParams,
      body: mergeBody,
      response: mergeAnswer,
      handle: async (request, reply) => {
        const { id } = parse(leadParams, request.params, 'path');
        const { other, note } = parse(mergeBody, request.body ?? {}, 'body');
        try {
          const answer = await deps.merges.merge(id, other, (principals.get(request) as Principal).name, note);
          deps.log.info({ lead: answer.lead, merged: answer.merged, by: answer.mergedBy, repointed: answer.repointed.length, already: answer.already }, 'leads merged by hand');
          return reply.code(202).send(answer);
        } catch (err) {
          if (!(err instanceof MergeRefused)) throw err;
          if (err.status === 503) reply.header('retry-after', '1');
          return reply.code(err.status).send({ error: err.code, message: err.message });
        }
      },
    },
    {
      method: 'GET',
      url: '/alerts',
      scope: 'leads:read',
      summary: 'Recent hot-lead alerts, newest first, with each channel\'s delivery outcome and who acknowledged it',
      query: alertsQuery,
      response: alertsAnswer,
      handle: async (request) => deps.alerts.recent(parse(alertsQuery, request.query, 'query').limit),
    },
    {
      method: 'POST',
      url: '/alerts/:id/ack',
      scope: 'leads:read',
      summary: 'Acknowledges an alert: who took it (kept 30 days)',
      params: alertParams,
      body: ackBody,
      response: ackAnswer,
      handle: async (request, reply) => {
        const { id } = parse(alertParams, request.params, 'path');
        const { by } = parse(ackBody, request.body ?? {}, 'body');
        return (await deps.alerts.acknowledge(id, by)) ?? notFound(reply, 'alert', id);
      },
    },
    {
      method: 'GET',
      url: '/companies/:id',
      scope: 'leads:read',
      summary: 'A company: members with roles and heat, the buying group\'s coverage (roles engaged, missing, and who could fill them), heat, lifecycle stage, RFM segment and ABC class',
      params: companyParams,
      response: companyAnswer,
      handle: async (request, reply) => {
        const { id } = parse(companyParams, request.params, 'path');
        const answer = await readCompanyAnswer(deps, id);
        return answer ?? notFound(reply, 'company', id);
      },
    },
  ];
  const doc = openApiDocument(routes, { title: 'leadscore API', version: settings.version });

  app.addHook('onRequest', async (request, reply) => {
    const route = routes.find((r) => r.url === request.routeOptions.url && r.method === request.method);
    if (!route?.scope) return;
    const principal = tokens.authenticate(request.headers.authorization);
    if (!principal) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'send Authorization: Bearer <token> with a token from API_TOKENS' });
    }
    principals.set(request, principal);
    if (route.scope !== ANY_TOKEN && !allows(principal, route.scope as ApiScope)) {
      return reply.code(403).send({ error: 'forbidden', message: `the token "${principal.name}" lacks the ${route.scope} scope` });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    deps.metrics.requests.inc({ route, status: String(reply.statusCode) });
    deps.metrics.seconds.observe({ route }, reply.elapsedTime / 1000);
    // Who and what, never the token or other headers.
    deps.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), token: principals.get(request)?.name }, 'api request');
  });
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof BadRequest) return reply.code(400).send({ error: 'invalid_request', message: err.message, issues: err.issues });
    deps.log.error({ err, route: request.routeOptions.url }, 'api request failed');
    return reply.code(500).send({ error: 'internal', message: 'the request failed; the service logged why' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  for (const route of routes) app.route({ method: route.method, url: route.url, handler: route.handle });
  serveDashboard(app);
  app.get('/openapi.json', async () => doc);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(doc)));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => ((await deps.ready()) ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' })));
  app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
  return app;
}
