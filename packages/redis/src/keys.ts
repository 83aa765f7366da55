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
