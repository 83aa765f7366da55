import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, trackedEventSchema } from '@leadscore/events';
import { contributionOf, defaultRules, parseRules } from '@leadscore/scoring';
import { eventFromRow, eventRow, insertedAt, REPLAY_COLUMNS, type ReplayRow } from '../src/rows.ts';

const rules = parseRules(defaultRules);

/** Messages of every type, with what scoring, identity and companies read: paths, forms, orders, traits, groups, flags. */
const anEvent = fc
  .record({
    message: fc.constantFrom<Record<string, unknown>>(
      { type: 'page', name: 'Pricing', category: 'Product', properties: { path: '/pricing', url: 'https://x.example/pricing' }, context: { page: { path: '/pricing', referrer: 'https://g.example' }, campaign: { source: 'news', medium: 'email', name: 'q4' } } },
      { type: 'screen', name: 'Home', properties: { plan: 'pro' } },
      { type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request', email: 'A@Acme.example', answers: { need: 'crm', internal_champion: 'yes' } }, context: { groupId: 'acme' } },
      { type: 'track', event: 'Order Completed', properties: { order_id: 'o1', revenue: 120_000.5, currency: 'CNY', products: [{ id: 'p', price: 1 }] } },
      { type: 'track', event: 'Email Link Clicked', properties: { link_url: 'https://acme.example/pricing' }, context: { ip: '10.0.0.1', userAgent: 'Mozilla/5.0 (bot)' } },
      { type: 'identify', userId: 'u-1', traits: { email: 'ann@acme.example', title: '总经理', budget: 250000, company: { name: 'Acme', id: 'acme' } } },
      { type: 'identify', traits: {} },
      { type: 'group', groupId: 'acme', traits: { name: 'Acme', industry: 'software', employees: 300 } },
      { type: 'alias', userId: 'u-2', previousId: 'anon-old' },
    ),
    t: fc.integer({ min: Date.parse('1970-01-01T00:00:00Z'), max: Date.parse('2105-12-31T00:00:00Z') }),
    receivedLater: fc.integer({ min: 0, max: 86_400_000 }),
    anonymousId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
    flagged: fc.boolean(),
  })
  .map(({ message, t, receivedLater, anonymousId, flagged }) =>
    trackedEventSchema.parse({
      messageId: `m-${t}`,
      ...(anonymousId !== undefined || !('userId' in message) ? { anonymousId: anonymousId ?? 'anon-1' } : {}),
      timestamp: new Date(t).toISOString(),
      receivedAt: new Date(t + receivedLater).toISOString(),
      source: { id: 'web', kind: 'segment' },
      flags: flagged ? [{ kind: 'bot', reason: 'user agent says bot' }] : [],
      ...message,
    }),
  );

/** A row as ClickHouse gives it back: the replay's columns only, 64-bit integers as text (JSONEachRow). */
function readBack(row: ReturnType<typeof eventRow>): ReplayRow {
  const picked = Object.fromEntries(REPLAY_COLUMNS.map((c) => [c, row[c]]));
  return JSON.parse(JSON.stringify({ ...picked, timestamp_ms: String(row.timestamp_ms), received_at_ms: String(row.received_at_ms) })) as ReplayRow;
}
const asRead = (event: ReturnType<typeof eventFromRow>) => {
  const decoded = decodeEvent(encodeEvent(event).value as Buffer, {});
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.event;
};

describe('an event rebuilt from its events row', () => {
  it('contributes to its profile exactly what the event did, in any time zone', () => {
    fc.assert(
      fc.property(anEvent, fc.constantFrom('UTC', 'Asia/Shanghai'), (event, zone) => {
        const rebuilt = eventFromRow(readBack(eventRow(event, { partition: 0, offset: '1' }, insertedAt(0))));
        expect(contributionOf(asRead(rebuilt), rules, zone)).toEqual(contributionOf(asRead(event), rules, zone));
      }),
    );
  });

  it('is the event the worker read, but for the client\'s own timestamp, and an empty object reading as none', () => {
    const withoutEmpty = (e: object) => Object.fromEntries(Object.entries(e).filter(([k, v]) => k !== 'originalTimestamp' && !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)));
    fc.assert(
      fc.property(anEvent, (event) => {
        expect(asRead(eventFromRow(readBack(eventRow(event, { partition: 0, offset: '1' }, insertedAt(0)))))).toEqual(withoutEmpty(asRead(event)));
      }),
    );
  });
});
