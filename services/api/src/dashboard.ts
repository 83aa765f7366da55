import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's files, served by the API: plain ES modules with no build step (services/api/dashboard), ECharts'
 * own build from its npm package, and docs/analysts.md for the analyst page's link. Read and gzipped once at start;
 * each answered with an ETag so a browser revalidates in one small request. The files hold no lead data: every
 * figure comes from the API with the person's token.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Scripts only from the API itself; inline styles because ECharts sets them; data only over fetch to the API. */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Asset {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly type: string;
  readonly etag: string;
  readonly cache: string;
}

function asset(body: Buffer, path: string, cache: string): Asset {
  return { body, gzipped: gzipSync(body, { level: 9 }), type: TYPES[extname(path)] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(body).digest('base64url')}"`, cache };
}

const root = fileURLToPath(new URL('../dashboard/', import.meta.url));

/** The dashboard's files by their path under /dashboard/. */
export function dashboardAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (TYPES[extname(entry.name)]) assets.set(relative(root, full).split(sep).join('/'), asset(readFileSync(full), full, 'no-cache'));
    }
  };
  walk(root);
  const require = createRequire(import.meta.url);
  const echarts = require.resolve('echarts/dist/echarts.min.js');
  assets.set('vendor/echarts.min.js', asset(readFileSync(echarts), echarts, 'public, max-age=86400'));
  const analysts = fileURLToPath(new URL('../../../docs/analysts.md', import.meta.url));
  assets.set('analysts.md', asset(readFileSync(analysts), analysts, 'no-cache'));
  return assets;
}

export function serveDashboard(app: FastifyInstance, assets: ReadonlyMap<string, Asset> = dashboardAssets()): void {
  const send = (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const a = assets.get(path);
    if (!a) return reply.code(404).send({ error: 'not_found', message: `no dashboard file ${path}` });
    reply.header('etag', a.etag).header('cache-control', a.cache).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('vary', 'accept-encoding');
    if (a.type.startsWith('text/html')) reply.header('content-security-policy', DASHBOARD_CSP);
    if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.type(a.type).send(gzip ? a.gzipped : a.body);
  };
  app.get('/', async (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard', async (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/', async (request, reply) => send(request, reply, 'index.html'));
  app.get('/dashboard/*', async (request, reply) => send(request, reply, (request.params as { '*': string })['*']));
}
