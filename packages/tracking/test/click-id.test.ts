import { describe, expect, it } from 'vitest';
import { clickMessageId, type EmailClick } from '../src/index.ts';

const DAY = 24 * 3_600_000;
const sentAt = 1_764_000_000;
const click: EmailClick = { emailId: 'e-42', recipient: 'ann@acme.example', url: 'https://acme.example/case-study', sentAt, clickedAt: sentAt * 1000 + 3_600_000, flagKinds: [] };
const id = (over: Partial<EmailClick> = {}) => clickMessageId({ ...click, ...over }, DAY);

describe('the message id of an email click', () => {
  it('is one id for ten fetches of one link within a window', () => {
    const ids = Array.from({ length: 10 }, (_, i) => id({ clickedAt: click.clickedAt + i * 60_000 }));
    expect(new Set(ids)).toEqual(new Set([id()]));
  });

  it('differs for another link of the same email', () => {
    expect(id({ url: 'https://acme.example/pricing' })).not.toBe(id());
  });

  it('differs for another recipient of the same link', () => {
    expect(id({ recipient: 'bob@acme.example' })).not.toBe(id());
  });

  it('differs for another email with the same link', () => {
    expect(id({ emailId: 'e-43' })).not.toBe(id());
  });

  it('changes in the next window, counted from the send time', () => {
    const lastOfFirst = sentAt * 1000 + DAY - 1;
    expect(id({ clickedAt: lastOfFirst })).toBe(id());
    expect(id({ clickedAt: lastOfFirst + 1 })).not.toBe(id());
  });

  it('keeps a flagged click apart from a person\'s, whatever order the flags come in', () => {
    expect(id({ flagKinds: ['scanner'] })).not.toBe(id());
    expect(id({ flagKinds: ['scanner', 'bot'] })).toBe(id({ flagKinds: ['bot', 'scanner', 'bot'] }));
  });

  it('cannot be matched by moving characters between fields', () => {
    expect(id({ emailId: 'e-4', recipient: '2ann@acme.example' })).not.toBe(id());
  });

  it('fits the 100 characters of a messageId', () => {
    expect(id()).toMatch(/^click-[0-9a-f]{40}$/);
  });
});
