import { z } from 'zod';
import { errorAnswer } from './schemas.ts';

export interface RouteDoc {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form (`/leads/:id`); written `/leads/{id}` in the document. */
  readonly url: string;
  readonly summary: string;
  /** The scope a token needs ('any': any known token); undefined: open (health, the document itself). */
  readonly scope?: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly response: z.ZodType;
  /** Answered as server-sent events, each message's data one `response`. */
  readonly eventStream?: boolean;
}

const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }) } });

/** An OpenAPI 3.1 document from the routes' own zod schemas, so the document and the validation cannot drift. */
export function openApiDocument(routes: readonly RouteDoc[], info: { readonly title: string; readonly version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const parameters = [
      ...Object.entries(r.params?.shape ?? {}).map(([name, s]) => ({ name, in: 'path', required: true, schema: z.toJSONSchema(s as z.ZodType, { target: 'draft-2020-12' }) })),
      ...Object.entries(r.query?.shape ?? {}).map(([name, s]) => ({ name, in: 'query', required: !(s as z.ZodType).safeParse(undefined).success, schema: z.toJSONSchema(s as z.ZodType, { target: 'draft-2020-12', io: 'input' }) })),
    ];
    paths[path] = {
      ...paths[path],
      [r.method.toLowerCase()]: {
        summary: r.summary,
        ...(r.scope ? { security: [{ bearer: r.scope === 'any' ? [] : [r.scope] }] } : { security: [] }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { target: 'draft-2020-12', io: 'input' }) } } } } : {}),
        responses: {
          200: r.eventStream
            ? { description: 'Server-sent events (text/event-stream): `event: lead` messages, each `data` one JSON object as below; `event: hello` on connect; `:` comments as heartbeats', content: { 'text/event-stream': { schema: z.toJSONSchema(r.response, { target: 'draft-2020-12', io: 'output' }) } } }
            : { description: 'OK', content: json(r.response) },
          ...(r.params || r.query || r.body ? { 400: { description: 'The request names a bad field', content: json(errorAnswer) } } : {}),
          ...(r.scope ? { 401: { description: 'No token, or an unknown one', content: json(errorAnswer) } } : {}),
          ...(r.scope && r.scope !== 'any' ? { 403: { description: `The token lacks the ${r.scope} scope`, content: json(errorAnswer) } } : {}),
          ...(r.params ? { 404: { description: 'Nothing by that id', content: json(errorAnswer) } } : {}),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKENS; scopes leads:read, analytics:read, admin (all)' } } },
    paths,
  };
}

/** A plain page listing the operations, for people; tools read /openapi.json. */
export function docsPage(doc: ReturnType<typeof openApiDocument>): string {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  const rows = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const o = op as { summary: string; security: { bearer?: string[] }[] };
      const scope = o.security[0]?.bearer?.[0] ?? 'none';
      return `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(scope)}</td><td>${escape(o.summary)}</td></tr>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>${escape(doc.info.title)} ${escape(doc.info.version)}</h1><p>Bearer tokens with scopes; the schemas of every request and answer are in <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table><tr><th>method</th><th>path</th><th>scope</th><th>what</th></tr>${rows.join('')}</table></body></html>`;
}
