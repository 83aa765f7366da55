import { formatDateTime } from '@leadscore/clickhouse';
import type { TrackedEvent } from '@leadscore/events';
import type { Conflict } from '@leadscore/identity';
import { emailOf } from '@leadscore/identity';
import { orderOf } from '@leadscore/scoring';
import type { LinkRecord } from './portrait-writer.ts';

/** Where a record sat in Kafka. */
export interface Origin {
  readonly partition: number;
  readonly offset: string;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const dt = (iso: string) => formatDateTime(new Date(iso));

/**
 * When the worker wrote a row: the version of the ReplacingMergeTree tables. Sent with every row, since 18.16 leaves
 * an omitted `DEFAULT now()` column at 0 in JSONEachRow inserts.
 */
export type InsertedAt = string;
export const insertedAt = (now: number): InsertedAt => formatDateTime(new Date(now));

/** An `events` row: the event as received, with the columns analysts filter on pulled out of its JSON. */
export function eventRow(event: TrackedEvent, origin: Origin, inserted: InsertedAt) {
  const page = event.context?.page;
  const campaign = event.context?.campaign;
  const properties = (event as { properties?: Record<string, unknown> }).properties ?? {};
  const traits = (event as { traits?: Record<string, unknown> }).traits ?? {};
  const order = orderOf(event);
  return {
    message_id: event.messageId,
    type: event.type,
    event: event.type === 'track' ? event.event : event.type === 'page' || event.type === 'screen' ? text(event.name) : '',
    category: event.type === 'page' || event.type === 'screen' ? text(event.category) : '',
    user_id: event.userId ?? '',
    anonymous_id: event.anonymousId ?? '',
    previous_id: event.type === 'alias' ? event.previousId : '',
    group_id: event.type === 'group' ? event.groupId : (event.context?.groupId ?? ''),
    email: emailOf(event) ?? '',
    timestamp: dt(event.timestamp),
    timestamp_ms: Date.parse(event.timestamp),
    received_at: dt(event.receivedAt),
    received_at_ms: Date.parse(event.receivedAt),
    source_id: event.source.id,
    source_kind: event.source.kind,
    flags: event.flags.map((f) => f.kind),
    flag_reasons: event.flags.map((f) => f.reason),
    url: text(page?.url) || text(properties.url),
    path: text(page?.path) || text(properties.path),
    referrer: text(page?.referrer) || text(properties.referrer),
    utm_source: text(campaign?.source),
    utm_medium: text(campaign?.medium),
    utm_campaign: text(campaign?.name),
    ip: text(event.context?.ip),
    user_agent: text(event.context?.userAgent),
    order_id: order?.id ?? '',
    revenue: order?.amount ?? 0,
    currency: order?.currency ?? '',
    properties: JSON.stringify(properties),
    traits: JSON.stringify(traits),
    context: JSON.stringify(event.context ?? {}),
    kafka_partition: origin.partition,
    kafka_offset: origin.offset,
    inserted_at: inserted,
  };
}

/**
 * The columns a replay reads to rebuild an event (rescore, backtest), and the event they give: the message as the
 * ingest worker read it from Kafka, as far as anything it applies or decides depends on it. Not kept: the client's
 * originalTimestamp and sentAt (the timestamp is already corrected), integrations, and unknown top-level fields of
 * a message (kept in Kafka for 7 days only).
 */
export const REPLAY_COLUMNS = ['message_id', 'type', 'event', 'category', 'user_id', 'anonymous_id', 'previous_id', 'group_id', 'timestamp_ms', 'received_at_ms', 'source_id', 'source_kind', 'flags', 'flag_reasons', 'properties', 'traits', 'context'] as const;
export type ReplayRow = { readonly [K in (typeof REPLAY_COLUMNS)[number]]: K extends 'flags' | 'flag_reasons' ? readonly string[] : K extends 'timestamp_ms' | 'received_at_ms' ? number | string : string };

const objectOf = (json: string): Record<string, unknown> | undefined => {
  const value = JSON.parse(json) as unknown;
  return value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0 ? (value as Record<string, unknown>) : undefined;
};

/**
 * The event an `events` row was written from (eventRow's inverse over REPLAY_COLUMNS). Not validated here: a replay
 * hands it to the scoring path, whose decoding checks it as it checks every record (validating twice was a tenth of
 * a backtest's time).
 */
export function eventFromRow(row: ReplayRow): TrackedEvent {
  const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
  const properties = objectOf(row.properties);
  const traits = objectOf(row.traits);
  const context = objectOf(row.context);
  const common = {
    messageId: row.message_id,
    ...(row.user_id ? { userId: row.user_id } : {}),
    ...(row.anonymous_id ? { anonymousId: row.anonymous_id } : {}),
    timestamp: iso(row.timestamp_ms),
    receivedAt: iso(row.received_at_ms),
    source: { id: row.source_id, kind: row.source_kind },
    flags: row.flags.map((kind, i) => ({ kind, reason: row.flag_reasons[i] ?? '' })),
    ...(context ? { context } : {}),
  };
  const byType: Record<string, Record<string, unknown>> = {
    track: { event: row.event, ...(properties ? { properties } : {}) },
    page: { ...(row.event ? { name: row.event } : {}), ...(row.category ? { category: row.category } : {}), ...(properties ? { properties } : {}) },
    identify: { ...(traits ? { traits } : {}) },
    group: { groupId: row.group_id, ...(traits ? { traits } : {}) },
    alias: { previousId: row.previous_id },
  };
  byType.screen = byType.page as Record<string, unknown>;
  return { type: row.type, ...common, ...byType[row.type] } as TrackedEvent;
}

/** An `identity_links` row: the link's record as Redis keeps it (its earliest statement), the same whoever says it. */
export function linkRow(link: LinkRecord, inserted: InsertedAt) {
  return { profile: link.from, lead: link.to, reason: link.reason, message_id: link.messageId, linked_at: formatDateTime(new Date(link.at)), inserted_at: inserted };
}

export function conflictRow(conflict: Conflict, event: TrackedEvent, inserted: InsertedAt) {
  return { message_id: event.messageId, kind: conflict.kind, profile: conflict.profile, claimed_by: conflict.claimedBy, existing: conflict.existing, detail: conflict.detail, at: dt(event.timestamp), inserted_at: inserted };
}

export type EventRow = ReturnType<typeof eventRow>;
export type LinkRow = ReturnType<typeof linkRow>;
export type ConflictRow = ReturnType<typeof conflictRow>;

export function ledgerRows(event: TrackedEvent, profile: string, lines: readonly { r: string; w: number; hl: number; v: string }[], inserted: InsertedAt) {
  return lines.map((line) => ({
    message_id: event.messageId,
    rule_id: line.r,
    rules_version: line.v,
    weight: line.w,
    half_life_ms: line.hl,
    event_time: dt(event.timestamp),
    event_time_ms: Date.parse(event.timestamp),
    profile,
    inserted_at: inserted,
  }));
}

export type LedgerRow = ReturnType<typeof ledgerRows>[number];
