/**
 * The ingest worker's batch processor wired as services/ingest/src/main.ts wires it, on real Redis, ClickHouse and a
 * BullMQ queue, but fed partition batches by the test instead of Kafka: each delivery of a set of events gets a
 * namespace of its own (Redis keys, ClickHouse database, queue prefix), is processed batch by batch with one fixed
 * `now`, and is read back as a snapshot (portraits, rows, alert jobs, dead letters) that deliveries can be compared
 * by. Everything a delivery wrote is removed once it is read (Redis keys `<ns>:*` and `{<ns>.alerts}*`, the
 * database).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Queue } from 'bullmq';
import type { KafkaMessage, Message } from 'kafkajs';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql, unsafeRaw } from '@leadscore/clickhouse';
import { ALERTS_QUEUE, alertsQueuePrefix, encodeEvent, type HotLeadJob, type TrackedEvent } from '@leadscore/events';
import { anonymousProfile, claimsOf, companyOf, emailProfile, isLead, userProfile } from '@leadscore/identity';
import type { PartitionBatch } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { alertStateFields, alertStateOf, companyOfState, definePortraitScripts, heatOf, profileKeys, readCompany, readPortrait, readProfile, readTraitValues, resolveProfile } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import type { Redis } from 'ioredis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import type { ServiceUrls } from '@leadscore/tests/support/services.ts';

import { createAlertOutbox } from '@leadscore/portrait';
import { createInsertCoalescer } from '../src/insert-coalescer.ts';
import { LinkCache } from '../src/link-cache.ts';
import { createIngestMetrics } from '../src/metrics.ts';
import { createPortraitWriter } from '../src/portrait-writer.ts';
import { createBatchProcessor } from '../src/process-batch.ts';
import { createWarehouse, monthOf } from '../src/warehouse.ts';
import { testLayout } from './support.ts';

const DAY = 86_400_000;
export const FREE_MAIL = new Set(['gmail.com', 'qq.com']);
/** Tries of one batch before the test gives up on it (an outage or EventsRefusedError is retried, as the consumer would). */
const BATCH_TRIES = 5;
/** The tables the worker writes, and the columns that say when or from where a row was written, not what it says. */
export const TABLES = ['events', 'identity_links', 'identity_conflicts', 'score_ledger'] as const;
const IGNORED_COLUMNS = new Set(['inserted_at', 'kafka_partition', 'kafka_offset']);

export interface DeliverySettings {
  /** Processing time of every batch: the processor's, the writer's and the outbox's clock. */
  readonly now: number;
  readonly timeZone: string;
}

/** Every profile and company the events name: the subjects whose portraits are compared. */
export interface Subjects {
  readonly profiles: readonly string[];
  readonly companies: readonly string[];
}

export function subjectsOf(events: readonly TrackedEvent[]): Subjects {
  const profiles = new Set<string>();
  const companies = new Set<string>();
  for (const e of events) {
    const claims = claimsOf(e);
    if (claims.userId) profiles.add(userProfile(claims.userId));
    if (claims.anonymousId) profiles.add(anonymousProfile(claims.anonymousId));
    if (claims.email) profiles.add(emailProfile(claims.email));
    const company = companyOf(e, FREE_MAIL);
    if (company) companies.add(company);
  }
  return { profiles: [...profiles].sort(), companies: [...companies].sort() };
}

/**
 * What a delivery left behind, in plain values. A streaming worker cannot know a link before the event that makes
 * it: a visitor's event processed before its identify lands on the visitor (and is replayed into the lead at the
 * link), one processed after lands on the lead; a provisional email lead may be linked into its user later. So
 * wherever a profile id is recorded as it was known then — the hop a visitor's link points to (a: → e: → u: or
 * a: → u:), a ledger line's profile, a company's member ids, the subject of an alert sent before the link — it is
 * compared by the lead it resolves to now, as analysts and sales read it. Everything else is compared as stored.
 */
export interface Snapshot {
  /** Per profile: a linked one by the lead it resolves to (its own counters are what it had before the link); a lead
   * or an unlinked visitor by everything its portrait says, with the profiles that resolve to it. */
  readonly profiles: Record<string, unknown>;
  readonly companies: Record<string, unknown>;
  /** Rows of each table (without inserted_at, kafka_partition, kafka_offset), as sorted JSON lines. */
  readonly rows: Record<string, string[]>;
  /** Distinct jobs in the hot-leads queue per `<subject resolved> <rule>`. */
  readonly alerts: Record<string, number>;
  /** Dead letters as `<messageId> <reason>`, sorted. */
  readonly deadLetters: readonly string[];
}

export interface BatchHarness {
  readonly redis: Redis;
  readonly clickhouse: ClickHouseClient;
  /** Processes the batches in order in a namespace of its own, reads the snapshot, removes the namespace. */
  deliver(batches: readonly (readonly TrackedEvent[])[], settings: DeliverySettings, subjects: Subjects): Promise<Snapshot>;
  close(): Promise<void>;
}

/** A Kafka record of the events topic as the consumer hands it over. */
function kafkaMessage(event: TrackedEvent, offset: number): KafkaMessage {
  const record = encodeEvent(event);
  return { key: Buffer.from(record.key), value: record.value, headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)])), offset: String(offset), timestamp: String(Date.parse(event.receivedAt)), attributes: 0 };
}

export function batchHarness(services: ServiceUrls): BatchHarness {
  const redis = createRedis(services.redisUrl, { connectionName: 'batch-boundaries' });
  const queueConnection = createRedis(services.redisUrl, { connectionName: 'batch-boundaries-alerts' });
  const clickhouse = createClickHouse({ url: services.clickhouseUrl, user: services.clickhouseUser, password: services.clickhousePassword });
  const scripts = definePortraitScripts(redis);
  const rules = parseRules(defaultRules);
  // One registry for every processor of the file: counters only, and collectDefaultMetrics once.
  const metrics = createIngestMetrics();
  const live = new Set<string>();

  async function removeNamespace(ns: string): Promise<void> {
    assertTestNamespace(ns);
    for (const pattern of [`${ns}:*`, `{${ns}.alerts}*`]) {
      const keys = await redis.keys(pattern);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
    await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
    live.delete(ns);
  }

  async function rowsOf(ns: string): Promise<Record<string, string[]>> {
    const db = quoteIdentifier(ns);
    const read: Record<string, Record<string, unknown>[]> = {};
    for (const table of TABLES) {
      await clickhouse.command({ query: sql`OPTIMIZE TABLE ${db}.${quoteIdentifier(table)} FINAL` });
      const columns = (await (await clickhouse.query({ query: sql`SELECT name FROM system.columns WHERE database = ${ns} AND table = ${table} ORDER BY name`, format: 'JSONEachRow' })).json()) as { name: string }[];
      const kept = columns.map((c) => c.name).filter((c) => !IGNORED_COLUMNS.has(c));
      const list = unsafeRaw(kept.map((c) => quoteIdentifier(c).text).join(', '));
      read[table] = (await (await clickhouse.query({ query: sql`SELECT ${list} FROM ${db}.${quoteIdentifier(table)} FINAL`, format: 'JSONEachRow' })).json()) as Record<string, unknown>[];
    }
    // A link's lead and a ledger line's profile as they resolve now (see Snapshot); the rest of each row as stored.
    const links = new Map((read.identity_links ?? []).map((r) => [String(r.profile), String(r.lead)]));
    const leadOf = (profile: string) => {
      let p = profile;
      for (let hop = 0; hop < 5 && links.has(p); hop++) p = links.get(p) as string;
      return p;
    };
    // A provisional lead's link into its user is often implied by several events together (a form's email, a later
    // event of the same browser with the user id); which of them stands as its record can depend on arrival. Its lead
    // does not, and a visitor's link is compared in full.
    read.identity_links = (read.identity_links ?? []).map((r) => (String(r.profile).startsWith('e:') ? { profile: r.profile, lead: leadOf(String(r.lead)) } : { ...r, lead: leadOf(String(r.lead)) }));
    read.score_ledger = (read.score_ledger ?? []).map((r) => ({ ...r, profile: leadOf(String(r.profile)) }));
    return Object.fromEntries(Object.entries(read).map(([table, rows]) => [table, rows.map((r) => JSON.stringify(r)).sort()]));
  }

  /** The lead each profile resolves to now (itself when it is linked to nobody). */
  async function leadsOf(ns: string, subjects: Subjects): Promise<Map<string, string>> {
    return new Map(await Promise.all(subjects.profiles.map(async (id) => [id, await resolveProfile(redis, ns, id)] as const)));
  }

  async function portraitsOf(ns: string, subjects: Subjects, leads: ReadonlyMap<string, string>, now: number) {
    const resolved = (id: string) => leads.get(id) ?? id;
    const profiles: Record<string, unknown> = {};
    for (const id of subjects.profiles) {
      const view = await readProfile(redis, ns, id);
      if (view.linkedTo) {
        profiles[id] = { resolvesTo: resolved(id) };
        continue;
      }
      const base = {
        events: view.events,
        counts: view.counts,
        flagged: view.flagged,
        firstSeen: view.firstSeen,
        lastSeen: view.lastSeen,
        revenue: view.revenue,
        refunded: view.refunded,
        traits: Object.fromEntries(Object.entries(view.traits).map(([k, v]) => [k, { value: v.value, at: v.at }])),
        joined: subjects.profiles.filter((p) => p !== id && resolved(p) === id),
        heat: heatOf(view, now),
      };
      if (!isLead(id)) {
        profiles[id] = base;
        continue;
      }
      const portrait = await readPortrait(redis, ns, id, rules, now);
      const state = await redis.hgetall(profileKeys(ns, id).state);
      profiles[id] = {
        ...base,
        heatByHalfLife: portrait.heatByHalfLife,
        tier: portrait.tier,
        tags: portrait.tags,
        role: portrait.role,
        grade: portrait.grade,
        fit: portrait.fit,
        priority: portrait.priority,
        company: companyOfState(state),
        streakDays: alertStateOf(state).streakDays,
      };
    }
    const companies: Record<string, unknown> = {};
    for (const id of subjects.companies) {
      const c = await readCompany(redis, ns, id);
      companies[id] = {
        events: c.events,
        counts: c.counts,
        members: [...new Set(c.members.map(resolved))].sort(),
        revenue: c.revenue,
        traits: Object.fromEntries(Object.entries(c.traits).map(([k, v]) => [k, { value: v.value, at: v.at }])),
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
        heat: heatOf(c, now),
      };
    }
    return { profiles, companies };
  }

  return {
    redis,
    clickhouse,
    async deliver(batches, settings, subjects) {
      const ns = testNamespace('batch_boundaries');
      live.add(ns);
      const queue = new Queue(ALERTS_QUEUE, { connection: queueConnection, prefix: alertsQueuePrefix(ns) });
      try {
        await migrate(serverExecutor(clickhouse), { database: ns });
        const now = () => settings.now;
        const log = createLogger({ service: 'ingest-test', level: 'silent', namespace: ns });
        // As main.ts lays it out, with the default dedup window and history cap.
        const layout = testLayout(ns, { dedupWindowMs: 7 * DAY, logCap: 5000 });
        const outbox = createAlertOutbox({ layout: { ...layout, alertFields: [] }, redis, scripts, queue, log, attempts: 8, markerRetentionMs: 8 * DAY, now });
        const letters: Message[] = [];
        const { applyBatch } = createBatchProcessor({
          portraits: createPortraitWriter({ layout, freeMailDomains: FREE_MAIL, rules: () => rules, alertFields: alertStateFields, timeZone: settings.timeZone }, { redis, scripts, links: new LinkCache(), now }),
          // Lingering, as the worker's default: later batches are applied while earlier rows wait for their insert.
          warehouse: createWarehouse(createInsertCoalescer(clickhouse, { lingerMs: 20, partitionOf: monthOf }), clickhouse, ns),
          outbox,
          memberTraits: (members) => readTraitValues(redis, ns, members),
          rules: () => rules,
          timeZone: settings.timeZone,
          freshnessMs: DAY,
          eventAttempts: 3,
          now,
          sendDeadLetters: async (messages) => void letters.push(...messages),
          metrics,
          log,
        });

        let offset = 0;
        const durable: Promise<void>[] = [];
        for (const events of batches) {
          const messages = events.map((e) => kafkaMessage(e, offset++));
          const batch: PartitionBatch = { topic: `${ns}.events`, partition: 0, highWatermark: String(offset), messages };
          for (let attempt = 1; ; attempt++) {
            try {
              durable.push((await applyBatch(batch)).durable);
              break;
            } catch (err) {
              if (attempt >= BATCH_TRIES) throw new Error(`a batch of ${events.length} event(s) failed ${attempt} times: ${(err as Error).message}`, { cause: err });
            }
          }
        }

        await Promise.all(durable);
        const leads = await leadsOf(ns, subjects);
        const { profiles, companies } = await portraitsOf(ns, subjects, leads, settings.now);
        const rows = await rowsOf(ns);
        const all = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children']);
        const seen = new Set<string>();
        const alerts: Record<string, number> = {};
        for (const job of all) {
          if (!job?.id || seen.has(job.id)) continue;
          seen.add(job.id);
          const data = job.data as HotLeadJob;
          const key = `${leads.get(data.lead) ?? data.lead} ${data.rule}`;
          alerts[key] = (alerts[key] ?? 0) + 1;
        }
        const deadLetters = letters.map((m) => {
          const letter = JSON.parse(String(m.value)) as { messageId?: string; reason: string };
          return `${letter.messageId ?? '?'} ${letter.reason}`;
        });
        return { profiles, companies, rows, alerts, deadLetters: deadLetters.sort() };
      } finally {
        await queue.close();
        await removeNamespace(ns);
      }
    },
    async close() {
      for (const ns of [...live]) await removeNamespace(ns);
      await clickhouse.close();
      redis.disconnect();
      queueConnection.disconnect();
    },
  };
}
