import { literal, profileOfEvent, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { allLastSeenIndexKeys, companyKeys, emailOwnerKey, emailProvisionalKey, liveFeedKey, profileKeys, resolveProfile, suppress, SUPPRESSION_CAP } from '@leadscore/portrait';
import { changesStreamKey } from './ranking.ts';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const erasureAnswer = z.object({
  lead: z.string(),
  profiles: z.array(z.string()).describe('the lead and every profile linked into it: all erased'),
  redis: z.object({
    keys: z.number().describe('keys deleted'),
    indexEntries: z.number().describe('entries taken out of shared indexes: last-seen, companies\' members and buying groups, pending alerts, the hot-list ranking, the changes feed'),
    alertJobs: z.number().describe('alert jobs removed from the queue'),
  }),
  clickhouse: z.array(z.object({ table: z.string(), where: z.string() })).describe('deletions submitted; they run asynchronously (system.mutations shows when each is done)'),
  asynchronous: z.literal(true),
  suppressed: z.array(z.string()).describe(`identities whose later events are dropped (the newest ${SUPPRESSION_CAP.toLocaleString('en-US')} erased are kept)`),
});
export type ErasureAnswer = z.infer<typeof erasureAnswer>;

/** The tables a lead's data lives in, and which column names it: deleted by mutation. */
const TABLES = (profiles: string, emails: string) => [
  { table: 'events', where: `${profileOfEvent} IN (${profiles})${emails ? ` OR email IN (${emails})` : ''}` },
  { table: 'events_by_profile', where: `profile IN (${profiles})` },
  { table: 'score_ledger', where: `profile IN (${profiles})` },
  { table: 'identity_links', where: `profile IN (${profiles}) OR lead IN (${profiles})` },
  { table: 'lead_merges', where: `lead IN (${profiles}) OR merged_into IN (${profiles})` },
  { table: 'identity_conflicts', where: `profile IN (${profiles}) OR claimed_by IN (${profiles}) OR existing IN (${profiles})` },
  { table: 'alert_deliveries', where: `lead IN (${profiles})` },
  { table: 'rollup_leads', where: `lead_id IN (${profiles})` },
  { table: 'rollup_orders', where: `lead_id IN (${profiles})` },
];

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/**
 * Erases a lead at the person's request: every key of the lead and the profiles linked into it, its entries in the
 * shared indexes, its queued alerts, its rows in ClickHouse (by mutation: asynchronous on every release), and puts its
 * identities on the suppression list so later events for them are dropped. Undefined when nothing is known of it.
 */
export async function eraseLead(
  deps: { readonly redis: Redis; readonly exec: SqlExecutor; readonly database: string; readonly namespace: string; readonly queue: Queue; readonly now?: () => number },
  id: string,
): Promise<ErasureAnswer | undefined> {
  const { redis, namespace: ns } = deps;
  const lead = await resolveProfile(redis, ns, id);
  // The lead and what is linked into it (visitors, provisional email leads, and theirs).
  const profiles = new Set([lead, id]);
  for (let hop = 0; hop < 3; hop++) for (const p of [...profiles]) for (const from of await redis.smembers(profileKeys(ns, p).from)) profiles.add(from);
  const traitEmails = await Promise.all([...profiles].map((p) => redis.hget(profileKeys(ns, p).traits, 'email')));
  const emails = new Set([...profiles].filter((p) => p.startsWith('e:')).map((p) => p.slice(2)));
  for (const t of traitEmails) {
    const m = t ? /\t"(.*)"$/.exec(t) : null;
    if (m?.[1]) emails.add(m[1].toLowerCase());
  }
  const db = quoteIdentifier(deps.database).text;
  const inList = [...profiles].map(literal).join(', ');
  const known = (await redis.exists(...[...profiles].map((p) => profileKeys(ns, p).state))) > 0;
  const [rows] = await deps.exec.rows<{ n: string }>(`SELECT count() AS n FROM ${db}.events_by_profile WHERE profile IN (${inList})`);
  if (!known && Number(rows?.n ?? 0) === 0) return undefined;

  // Shared indexes first (they are found through the lead's own keys), then the keys themselves.
  let indexEntries = 0;
  const companies = new Set<string>();
  for (const p of profiles) for (const c of await redis.zrange(profileKeys(ns, p).companies, 0, -1)) companies.add(c.includes('\t') ? c.slice(c.indexOf('\t') + 1) : c);
  for (const company of companies) {
    const k = companyKeys(ns, company);
    indexEntries += await redis.zrem(k.members, ...profiles);
    const bg = Object.keys(await redis.hgetall(k.bg)).filter((field) => [...profiles].some((p) => field.endsWith(`\t${p}`)));
    if (bg.length > 0) indexEntries += await redis.hdel(k.bg, ...bg);
    // The company's alert markers carry their jobs, whose evidence may name the lead.
    const markers = Object.entries(await redis.hgetall(k.alerts)).filter(([, value]) => [...profiles].some((p) => value.includes(JSON.stringify(p))));
    if (markers.length > 0) indexEntries += await redis.hdel(k.alerts, ...markers.map(([field]) => field));
  }
  for (const key of allLastSeenIndexKeys(ns)) indexEntries += await redis.zrem(key, ...profiles);
  for (const key of await scanKeys(redis, `${ns}:idx:alerts_pending:*`)) {
    const mine = (await redis.smembers(key)).filter((entry) => [...profiles].some((p) => entry.startsWith(`${JSON.stringify([p]).slice(0, -1)},`) || entry.startsWith(`${p}\t`)));
    if (mine.length > 0) indexEntries += await redis.srem(key, ...mine);
  }
  for (const key of await scanKeys(redis, `${ns}:rank:*`)) {
    const type = await redis.type(key);
    if (type === 'zset') indexEntries += await redis.zrem(key, ...profiles);
    else if (type === 'hash') indexEntries += await redis.hdel(key, ...profiles);
  }
  // The changes a CRM reads and the notices screens are pushed name the lead: both capped streams, scanned whole.
  for (const stream of [changesStreamKey(ns), liveFeedKey(ns)]) {
    const mine = (await redis.xrange(stream, '-', '+')).filter(([, fields]) => [...profiles].some((p) => (fields[1] ?? '').includes(JSON.stringify(p))));
    if (mine.length > 0) indexEntries += await redis.xdel(stream, ...mine.map(([entryId]) => entryId));
  }
  let alertJobs = 0;
  for (const job of await deps.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'])) {
    const data = job ? JSON.stringify(job.data) : '';
    if (job && [...profiles].some((p) => data.includes(JSON.stringify(p)))) {
      await redis.del(`${ns}:alerts:ack:${job.id}`);
      await job.remove();
      alertJobs += 1;
    }
  }
  const keys = [...profiles].flatMap((p) => Object.values(profileKeys(ns, p)));
  for (const email of emails) {
    const owner = await redis.get(emailOwnerKey(ns, email));
    if (owner !== null && profiles.has(owner)) keys.push(emailOwnerKey(ns, email), emailProvisionalKey(ns, email));
  }
  const deleted = await redis.del(...keys);

  const identities = [...new Set([...profiles, ...[...emails].map((e) => `e:${e}`)])].sort();
  await suppress(redis, ns, identities, (deps.now ?? Date.now)());

  const emailList = [...emails].map(literal).join(', ');
  const mutations = TABLES(inList, emailList);
  for (const m of mutations) await deps.exec.command(`ALTER TABLE ${db}.${m.table} DELETE WHERE ${m.where}`);
  return {
    lead,
    profiles: [...profiles].sort(),
    redis: { keys: deleted, indexEntries, alertJobs },
    clickhouse: mutations,
    asynchronous: true,
    suppressed: identities,
  };
}
