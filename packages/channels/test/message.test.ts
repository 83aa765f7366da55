import { describe, expect, it } from 'vitest';
import { alertMessageSchema } from '../src/index.ts';
import { goldenMessage } from './fixture.ts';

const valid = () => JSON.parse(JSON.stringify(goldenMessage())) as Record<string, unknown>;

describe('the alert message schema', () => {
  it('accepts the fixture', () => {
    expect(alertMessageSchema.safeParse(valid()).success).toBe(true);
  });

  it('refuses a link that is not http(s)', () => {
    expect(alertMessageSchema.safeParse({ ...valid(), link: 'javascript:alert(1)' }).success).toBe(false);
  });

  it('refuses a time without a zone', () => {
    expect(alertMessageSchema.safeParse({ ...valid(), firedAt: '2026-11-25T09:30:00' }).success).toBe(false);
  });

  it('refuses an unknown rule kind', () => {
    expect(alertMessageSchema.safeParse({ ...valid(), rule: { id: 'r', kind: 'other', action: 'call' } }).success).toBe(false);
  });

  it('refuses an unknown buying role', () => {
    const m = valid();
    expect(alertMessageSchema.safeParse({ ...m, lead: { ...(m.lead as object), role: 'CEO' } }).success).toBe(false);
  });

  it('needs only an id for the lead', () => {
    const m = valid();
    expect(alertMessageSchema.safeParse({ ...m, lead: { id: 'l1' } }).success).toBe(true);
  });
});
