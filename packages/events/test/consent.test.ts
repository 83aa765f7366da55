import { describe, expect, it } from 'vitest';
import { deniesAnalytics } from '../src/consent.ts';

describe('consent to analytics', () => {
  it('is withheld by Segment\'s category preferences, in any case', () => {
    expect(deniesAnalytics({ consent: { categoryPreferences: { Analytics: false, Advertising: true } } })).toBe(true);
    expect(deniesAnalytics({ consent: { categoryPreferences: { analytics: 'false' } } })).toBe(true);
  });

  it('is withheld by a flat preference or consent mode\'s "denied"', () => {
    expect(deniesAnalytics({ consent: { analytics: false } })).toBe(true);
    expect(deniesAnalytics({ consent: { analytics_storage: 'denied' } })).toBe(true);
  });

  it('is not withheld when granted, absent, about other purposes, or unclear', () => {
    expect(deniesAnalytics({ consent: { categoryPreferences: { Analytics: true } } })).toBe(false);
    expect(deniesAnalytics(undefined)).toBe(false);
    expect(deniesAnalytics({})).toBe(false);
    expect(deniesAnalytics({ consent: { categoryPreferences: { Advertising: false } } })).toBe(false);
    expect(deniesAnalytics({ consent: { analytics: 'maybe' } })).toBe(false);
    expect(deniesAnalytics({ consent: ['analytics'] })).toBe(false);
  });
});
