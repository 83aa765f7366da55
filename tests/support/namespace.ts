import { randomBytes } from 'node:crypto';

/**
 * A namespace of one's own for a test file: its topics, Redis keys, BullMQ queues and ClickHouse database all carry
 * it, so files run in parallel and re-run without clean-up. Always starts with `t_`, which destructive helpers require.
 */
export function testNamespace(label: string): string {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24);
  return `t_${safe}_${randomBytes(4).toString('hex')}`;
}

/** Refuses to touch anything that is not a test namespace, so a helper can never drop a real database. */
export function assertTestNamespace(name: string): void {
  if (!/^t_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to clean up ${JSON.stringify(name)}: not a test namespace (t_…)`);
}
