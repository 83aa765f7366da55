import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface TrackerRouteOptions {
  /** Serve the demo page (development only). */
  readonly demo: boolean;
  /** The write key the demo page embeds. */
  readonly demoWriteKey?: string;
}

const TRACKER_SOURCE = fileURLToPath(new URL('../../public/tracker.js', import.meta.url));
const DEMO_TEMPLATE = fileURLToPath(new URL('../../public/demo.html', import.meta.url));

/**
 * The URL in the snippet never changes, so a year-long max-age would pin a fixed bug in browsers for a year. A day,
 * then up to a week served stale while it revalidates (a 304 thanks to the ETag), keeps loads off the network
 * without that.
 */
const SCRIPT_CACHE = 'public, max-age=86400, stale-while-revalidate=604800';

/** The tracker as browsers get it: minified once, at startup, for all of the process's requests. */
export async function buildTrackerScript(): Promise<string> {
  const result = await build({
    entryPoints: [TRACKER_SOURCE],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    // Browsers of 2020 on (Chrome 80, Safari 13.1, Firefox 72): older ones would cost every visitor bytes.
    target: 'es2020',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild produced no tracker bundle');
  return file.text;
}

interface Encoded {
  readonly body: Buffer;
  readonly encoding: 'br' | 'gzip';
}

/** Whether an Accept-Encoding header takes `coding` (present, and not with q=0). */
export function accepts(header: string | undefined, coding: string): boolean {
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (name !== coding) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Whether If-None-Match names this ETag (weak comparison, as RFC 9110 has it for If-None-Match). */
function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((tag) => bare(tag) === bare(etag));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Serves the first-party browser tracker and, in development, a demo page that uses it. */
export async function registerTrackerRoutes(app: FastifyInstance, options: TrackerRouteOptions): Promise<void> {
  const script = Buffer.from(await buildTrackerScript());
  // Weak: the gzip and brotli bodies differ in bytes but are the same script.
  const etag = `W/"${createHash('sha256').update(script).digest('base64url').slice(0, 22)}"`;
  const variants: Encoded[] = [
    { body: brotliCompressSync(script, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }), encoding: 'br' },
    { body: gzipSync(script, { level: 9 }), encoding: 'gzip' },
  ];

  app.get('/t.js', async (request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Cache-Control', SCRIPT_CACHE)
      .header('ETag', etag)
      .header('Vary', 'Accept-Encoding')
      // Any site may load it, also with crossorigin="anonymous" (for SRI) or under Cross-Origin-Embedder-Policy.
      .header('Access-Control-Allow-Origin', '*')
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .header('X-Content-Type-Options', 'nosniff');
    if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
    // Compressed once at startup, best first: Fastify compresses nothing itself, and this is every visitor's download.
    const variant = variants.find((v) => accepts(request.headers['accept-encoding'], v.encoding));
    if (variant) reply.header('Content-Encoding', variant.encoding);
    return reply.send(variant?.body ?? script);
  });

  if (!options.demo) return;
  const template = await readFile(DEMO_TEMPLATE, 'utf8');
  // Inside a <script>: JSON, with `<` escaped so no value can close the element.
  const writeKey = JSON.stringify(options.demoWriteKey ?? '').replace(/</g, '\\u003c');
  const render = (title: string, heading: string) =>
    template
      .replaceAll('{{TITLE}}', escapeHtml(title))
      .replaceAll('{{HEADING}}', escapeHtml(heading))
      .replaceAll('{{WRITE_KEY_JSON}}', writeKey)
      .replaceAll('{{NO_KEY}}', options.demoWriteKey ? '' : '<p class="warn">No write key is configured (COLLECTOR_WRITE_KEYS), so the collector will refuse these events.</p>');
  const pages = new Map([
    ['/demo', render('Acme Analytics — B2B lead scoring demo', 'Acme Analytics')],
    ['/demo/pricing', render('Pricing — Acme Analytics', 'Pricing')],
  ]);
  for (const [url, html] of pages) {
    app.get(url, async (_request, reply) => reply.header('Content-Type', 'text/html; charset=utf-8').header('Cache-Control', 'no-store').send(html));
  }
}
