import type { Source } from '@leadscore/events';

export interface KeyEntry {
  readonly source: string;
  readonly key: string;
}

/**
 * Write keys identify the source of events. SDKs send the key as the HTTP Basic user name (Segment's server
 * libraries) or as `writeKey` in the body (analytics.js); both are accepted. Import keys are a separate set: write
 * keys sit in public web pages, and an import may write history of any age.
 */
export class SourceKeys {
  private readonly byKey: Map<string, string>;
  constructor(entries: readonly KeyEntry[]) {
    this.byKey = new Map(entries.map((e) => [e.key, e.source]));
  }

  /** The source a request is from, or undefined when it has no known key. */
  authenticate(authorization: string | undefined, body: unknown, kind: Source['kind']): Source | undefined {
    const key = basicUser(authorization) ?? bodyWriteKey(body);
    if (key === undefined) return undefined;
    const source = this.byKey.get(key);
    return source === undefined ? undefined : { id: source, kind };
  }
}

function basicUser(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user.length > 0 ? user : undefined;
}

function bodyWriteKey(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'writeKey' in body) {
    const key = (body as { writeKey: unknown }).writeKey;
    if (typeof key === 'string' && key.length > 0) return key;
  }
  return undefined;
}
