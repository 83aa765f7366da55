import { describe, expect, it } from 'vitest';
import { packBatches, requestLimits } from '../batches.ts';

const rows = (...sizes: number[]) => sizes.map((bytes, i) => ({ i, bytes }));
const shape = (batches: { i: number }[][]) => batches.map((b) => b.map((r) => r.i));

describe('packing rows into requests', () => {
  it('keeps rows in order in as few requests as the count limit allows', () => {
    expect(shape(packBatches(rows(1, 1, 1, 1, 1), { maxMessages: 2, maxBytes: 1000, envelopeBytes: 0 }))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('starts a new request before the body would pass the byte limit, commas included', () => {
    // 10 + 40 + 1 + 40 = 91 fits 100; one more (132) does not.
    expect(shape(packBatches(rows(40, 40, 40), { maxMessages: 100, maxBytes: 100, envelopeBytes: 10 }))).toEqual([[0, 1], [2]]);
  });

  it('fills a request exactly to the byte limit', () => {
    expect(shape(packBatches(rows(45, 44), { maxMessages: 100, maxBytes: 100, envelopeBytes: 10 }))).toEqual([[0, 1]]);
  });

  it('makes no request for no rows', () => {
    expect(packBatches([], { maxMessages: 10, maxBytes: 100, envelopeBytes: 0 })).toEqual([]);
  });

  it('never asks the collector for more than its 2,500 messages or 500 KB', () => {
    expect(requestLimits({}, 10_000)).toEqual({ maxMessages: 2500, maxBytes: 500 * 1024, envelopeBytes: '{"batch":[]}'.length });
  });

  it('counts the batch-level context in the envelope', () => {
    expect(requestLimits({ context: { a: 1 } }, 10).envelopeBytes).toBe('{"batch":[],"context":{"a":1}}'.length);
  });
});
