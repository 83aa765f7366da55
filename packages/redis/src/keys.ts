/** `{`, `}` and `%` in an id are percent-encoded so that an id can never end or open a hash tag early. */
function tagSafe(id: string): string {
  return id.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Key names. Every key of one lead (or company) carries the same hash tag, `{lead:<id>}`, so the lead's Lua script
 * may touch all of them on Redis Cluster; keys across leads (indexes) live under their own names.
 */
export function hashTagged(namespace: string, kind: string, id: string, suffix: string): string {
  return `${hashTagPrefix(namespace, kind, id)}${suffix}`;
}

/** What every key of one id starts with, `<namespace>:{<kind>:<id>}:`: build it once for several of its keys. */
export function hashTagPrefix(namespace: string, kind: string, id: string): string {
  return `${namespace}:{${kind}:${tagSafe(id)}}:`;
}

/** A hash-tagged key read back: its kind, id (decoded) and suffix; undefined for a key not of this namespace's shape. */
export function parseHashTagged(namespace: string, key: string): { readonly kind: string; readonly id: string; readonly suffix: string } | undefined {
  if (!key.startsWith(`${namespace}:{`)) return undefined;
  const close = key.indexOf('}:', namespace.length + 2);
  if (close < 0) return undefined;
  const tag = key.slice(namespace.length + 2, close);
  const colon = tag.indexOf(':');
  if (colon < 0) return undefined;
  return { kind: tag.slice(0, colon), id: tag.slice(colon + 1).replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), suffix: key.slice(close + 2) };
}
