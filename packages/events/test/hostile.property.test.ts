import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BATCH_ROUTES,
  bodyBytes,
  hostileHttpCase,
  hostileRecordCase,
  pollutionSince,
  snapshotPrototypes,
  type HttpCase,
  type RecordCase,
} from '../../../tests/support/hostile-arbitraries.ts';
import { DEAD_LETTER_REASONS, decodeEvent, encodeEvent, intakeBatch, intakeMessage, policyRefusal, type DecodeResult, type IntakeOptions, type MessageType, type RejectReason, type TrackedEvent } from '../src/index.ts';

/**
 * The collector's and the ingest worker's checks against hostile input (tests/support/hostile-arbitraries.ts: deep
 * nesting, huge strings, wrong types, `__proto__` keys, lone surrogates, NaN and -0 in the text, times outside
 * 1970…2105, ids with control characters, bodies that are not UTF-8): whatever arrives, intakeMessage, intakeBatch
 * and decodeEvent answer without throwing and without touching any prototype, with an accepted event or a rejection
 * whose reason is one of the known ones; and an event the collector accepts is one the worker's decoder accepts.
 * PROPERTY_RUNS (default 300) and PROPERTY_SEED as in the other property tests.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };
/** A batch case takes up to a few ms; more runs, more time. */
const timeout = Math.max(20_000, RUNS * 10);

const SETTINGS = { writeKey: 'wk_property', importKey: 'ik_property', identitySecret: 'property-identity-secret' };
/** The clock of every case: times in the arbitraries are relative to it, and intake judges them against it. */
const NOW = Date.UTC(2026, 10, 25, 10, 0, 0);

/** Every reason a message can be refused for, by type (a reason added to RejectReason must be added here). */
const REJECT_REASONS = Object.keys({
  invalid_message: true,
  too_large: true,
  timestamp_out_of_range: true,
  invalid_unicode: true,
  no_identity: true,
  not_permitted: true,
} satisfies Record<RejectReason, true>);
const DECODE_REASONS = Object.keys({
  invalid_json: true,
  invalid_unicode: true,
  invalid_event: true,
  timestamp_out_of_range: true,
  unknown_schema_version: true,
} satisfies Record<Extract<DecodeResult, { ok: false }>['reason'], true>);

const ROUTE_TYPES: Record<string, MessageType> = { '/v1/track': 'track', '/v1/page': 'page', '/v1/identify': 'identify', '/v1/group': 'group', '/v1/alias': 'alias', '/v1/t': 'track', '/v1/p': 'page', '/v1/i': 'identify' };

/** A body as the collector's parser reads it (body.ts): nothing unless it is non-empty UTF-8 JSON. */
function parsedBody(c: HttpCase, index: number): { value: unknown } | undefined {
  const bytes = bodyBytes(c.body, { now: NOW, caseId: String(index) });
  if (bytes.length === 0 || !isUtf8(bytes)) return undefined;
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return undefined;
  }
}

/** Intake as the collector runs it for the route: a browser key's policy, a server key's on /v1/import (any age). */
function intakeOptions(route: string): IntakeOptions {
  const imported = route === '/v1/import';
  return {
    receivedAt: new Date(NOW),
    source: imported ? { id: 'crm', kind: 'import' } : { id: 'web', kind: 'segment' },
    maxFutureMs: 3_600_000,
    maxPastMs: imported ? null : 30 * 86_400_000,
    check: (event) => policyRefusal(event, imported ? 'server' : 'browser', SETTINGS.identitySecret),
  };
}

/** Runs `work` and fails if it changed any built-in prototype or a probe answers on a fresh object. */
function withoutPollution<T>(work: () => T): T {
  const before = snapshotPrototypes();
  const result = work();
  expect(pollutionSince(before, true)).toEqual([]);
  return result;
}

/** What the collector writes for an accepted event, the worker reads back as the same event. */
function expectDecodable(event: TrackedEvent): void {
  const record = encodeEvent(event);
  const decoded = decodeEvent(record.value, record.headers);
  expect(decoded, `the worker refuses an event the collector accepted: ${record.value.toString().slice(0, 2_000)}`).toMatchObject({ ok: true, event: { messageId: event.messageId } });
}

const isBatchRoute = (c: HttpCase) => (BATCH_ROUTES as readonly string[]).includes(c.route);
const cases = hostileHttpCase(SETTINGS);
const batchCases = cases.filter(isBatchRoute);
const singleCases = cases.filter((c) => !isBatchRoute(c));

describe('intakeBatch on hostile bodies', () => {
  it('never throws nor pollutes, and answers a refused body or every message accepted or refused with a known reason', { timeout }, () => {
    fc.assert(
      fc.property(batchCases, fc.nat(), (c, index) => {
        const body = parsedBody(c, index);
        if (!body) return;
        const result = withoutPollution(() => intakeBatch(body.value, intakeOptions(c.route)));
        if ('invalid' in result) {
          expect(['invalid_batch', 'invalid_unicode']).toContain(result.reason);
          expect(typeof result.invalid.path).toBe('string');
          return;
        }
        const batch = (body.value as { batch: unknown[] }).batch;
        expect(result.accepted.length + result.rejected.length).toBe(batch.length);
        for (const r of result.rejected) {
          expect(REJECT_REASONS).toContain(r.reason);
          expect(DEAD_LETTER_REASONS).toContain(r.reason);
          expect(r.issues.length).toBeGreaterThan(0);
          expect(r.issues.every((i) => typeof i.path === 'string' && typeof i.message === 'string')).toBe(true);
        }
        for (const event of result.accepted) expectDecodable(event);
      }),
      params,
    );
  });
});

describe('intakeMessage on hostile bodies', () => {
  it('never throws nor pollutes, and answers an accepted event or a refusal with a known reason', { timeout }, () => {
    fc.assert(
      fc.property(singleCases, fc.nat(), (c, index) => {
        const body = parsedBody(c, index);
        if (!body) return;
        const result = withoutPollution(() => intakeMessage(body.value, { ...intakeOptions(c.route), impliedType: ROUTE_TYPES[c.route] as MessageType }));
        if (result.ok) expectDecodable(result.event);
        else {
          expect(REJECT_REASONS).toContain(result.reason);
          expect(result.issues.length).toBeGreaterThan(0);
        }
      }),
      params,
    );
  });

  it('takes a good share of the plausible messages, so the hostile ones are judged beside real traffic', () => {
    const sample = fc.sample(singleCases, { numRuns: 400, seed: 42 });
    const taken = sample.filter((c, i) => {
      const body = parsedBody(c, i);
      return body !== undefined && intakeMessage(body.value, { ...intakeOptions(c.route), impliedType: ROUTE_TYPES[c.route] as MessageType }).ok;
    });
    expect(taken.length).toBeGreaterThan(sample.length / 4);
  });
});

/** Headers as kafkajs hands them over: Buffers, sometimes strings, sometimes arrays of either. */
function kafkaHeaders(headers: RecordCase['headers'], form: number): Record<string, Buffer | string | (Buffer | string)[]> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, form === 0 ? Buffer.from(v) : form === 1 ? v : [Buffer.from(v), 'x']]));
}

describe('decodeEvent on hostile records', () => {
  it('never throws nor pollutes, and answers an event or a refusal with a known reason (a dead-letter reason)', { timeout }, () => {
    fc.assert(
      fc.property(hostileRecordCase(SETTINGS), fc.nat(), fc.integer({ min: 0, max: 2 }), (c, index, form) => {
        const value = c.value === null ? null : bodyBytes(c.value, { now: NOW, caseId: String(index) });
        const result = withoutPollution(() => decodeEvent(value, kafkaHeaders(c.headers, form)));
        if (result.ok) {
          expect(typeof result.event.messageId).toBe('string');
          expect(typeof result.event.source.id).toBe('string');
        } else {
          expect(DECODE_REASONS).toContain(result.reason);
          expect(DEAD_LETTER_REASONS).toContain(result.reason);
          expect(typeof result.message).toBe('string');
          expect(Array.isArray(result.issues)).toBe(true);
        }
      }),
      params,
    );
  });

  it('never throws on any bytes at all', { timeout }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), fc.option(fc.string({ maxLength: 4 })), (bytes, version) => {
        const result = withoutPollution(() => decodeEvent(Buffer.from(bytes), version === null ? {} : { 'schema-version': version }));
        expect(result.ok ? 'ok' : result.reason).toMatch(/^(ok|invalid_json|invalid_unicode|invalid_event|timestamp_out_of_range|unknown_schema_version)$/);
      }),
      params,
    );
  });
});
