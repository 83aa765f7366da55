import { formatDateTime } from '@leadscore/clickhouse';
import type { TrackedEvent } from '@leadscore/events';
import type { Conflict, Link } from '@leadscore/identity';
import { emailOf } from '@leadscore/identity';

/** Where a record sat in Kafka. */
export interface Origin {
  readonly partition: number;
  readonly offset: string;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const dt = (iso: string) => formatDateTime(new Date(iso));

/** An `events` row: the event as received, with the columns analysts filter on pulled out of its JSON. */
export function eventRow(event: TrackedEvent, origin: Origin) {
  const page = event.context?.page;
  const campaign = event.context?.campaign;
  const properties = (event as { properties?: Record<string, unknown> }).properties ?? {};
  const traits = (event as { traits?: Record<string, unknown> }).traits ?? {};
  const isOrder = event.type === 'track' && (event.event === 'Order Completed' || event.event === 'Order Refunded');
  const amount = Number(event.type === 'track' && event.event === 'Order Refunded' ? (properties.amount ?? properties.total) : (properties.revenue ?? properties.total));
  return {
    message_id: event.messageId,
    type: event.type,
    event: event.type === 'track' ? event.event : event.type === 'page' || event.type === 'screen' ? text(event.name) : '',
    user_id: event.userId ?? '',
    anonymous_id: event.anonymousId ?? '',
    group_id: event.type === 'group' ? event.groupId : (event.context?.groupId ?? ''),
    email: emailOf(event) ?? '',
    timestamp: dt(event.timestamp),
    received_at: dt(event.receivedAt),
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
    order_id: isOrder ? String(properties.order_id ?? '') : '',
    revenue: isOrder && Number.isFinite(amount) ? amount : 0,
    currency: isOrder ? text(properties.currency) : '',
    properties: JSON.stringify(properties),
    traits: JSON.stringify(traits),
    context: JSON.stringify(event.context ?? {}),
    kafka_partition: origin.partition,
    kafka_offset: origin.offset,
  };
}

export function linkRow(link: Link, event: TrackedEvent) {
  return { profile: link.from, lead: link.to, reason: link.reason, message_id: event.messageId, linked_at: dt(event.timestamp) };
}

export function conflictRow(conflict: Conflict, event: TrackedEvent) {
  return { message_id: event.messageId, kind: conflict.kind, profile: conflict.profile, claimed_by: conflict.claimedBy, existing: conflict.existing, detail: conflict.detail, at: dt(event.timestamp) };
}

export type EventRow = ReturnType<typeof eventRow>;
export type LinkRow = ReturnType<typeof linkRow>;
export type ConflictRow = ReturnType<typeof conflictRow>;

export function ledgerRows(event: TrackedEvent, profile: string, lines: readonly { r: string; w: number; hl: number; v: string }[]) {
  return lines.map((line) => ({
    message_id: event.messageId,
    rule_id: line.r,
    rules_version: line.v,
    weight: line.w,
    half_life_ms: line.hl,
    event_time: dt(event.timestamp),
    event_time_ms: Date.parse(event.timestamp),
    profile,
  }));
}

export type LedgerRow = ReturnType<typeof ledgerRows>[number];
