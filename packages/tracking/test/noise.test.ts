import { describe, expect, it } from 'vitest';
import { botFlag, ClickBurstDetector, earlyClickFlag, internalNetworks, noiseFlags, type NoiseSettings } from '../src/index.ts';

const settings: NoiseSettings = { internalRanges: ['10.0.0.0/8', '2001:db8::/32'], internalEmailDomains: ['ourco.example'], scannerClickSeconds: 10, scannerBurstSeconds: 2, clickWindowMs: 24 * 3_600_000 };
const networks = internalNetworks(settings.internalRanges);
const browser = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

describe('noise flags', () => {
  it('leave a person on a browser from outside unflagged', () => {
    expect(noiseFlags({ context: { userAgent: browser, ip: '203.0.113.9' } }, settings, networks)).toEqual([]);
  });

  it('flag a known crawler by its user agent', () => {
    expect(noiseFlags({ context: { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } }, settings, networks)).toMatchObject([{ kind: 'bot' }]);
  });

  it('flag traffic from an internal network, IPv4 and IPv6', () => {
    expect(noiseFlags({ context: { ip: '10.20.30.40' } }, settings, networks)).toMatchObject([{ kind: 'internal', reason: expect.stringContaining('10.20.30.40') }]);
    expect(noiseFlags({ context: { ip: '2001:db8::1' } }, settings, networks)).toMatchObject([{ kind: 'internal' }]);
  });

  it('flag staff by their email domain, subdomains included', () => {
    expect(noiseFlags({ traits: { email: 'Rep@Sales.OurCo.example' } }, settings, networks)).toMatchObject([{ kind: 'internal' }]);
    expect(noiseFlags({ properties: { email: 'buyer@customer.example' } }, settings, networks)).toEqual([]);
  });

  it('refuse a malformed range', () => {
    expect(() => internalNetworks(['10.0.0.0/40'])).toThrow(/not an IP range/);
  });
});

describe('email scanners', () => {
  it('are flagged when they click within seconds of sending', () => {
    expect(earlyClickFlag(1_000_003_000, 1_000_000, 10)).toMatchObject({ kind: 'scanner' });
    expect(earlyClickFlag(1_000_060_000, 1_000_000, 10)).toBeUndefined();
  });

  it('are flagged when they follow several links of one email at once', () => {
    const bursts = new ClickBurstDetector(2);
    expect(bursts.observe('e1', 'ann', 'https://a/1', 10_000)).toBeUndefined();
    expect(bursts.observe('e1', 'ann', 'https://a/2', 10_400)).toMatchObject({ kind: 'scanner' });
  });

  it('leave a person clicking the same link twice, or links minutes apart, unflagged', () => {
    const bursts = new ClickBurstDetector(2);
    expect(bursts.observe('e1', 'ann', 'https://a/1', 10_000)).toBeUndefined();
    expect(bursts.observe('e1', 'ann', 'https://a/1', 10_500)).toBeUndefined();
    expect(bursts.observe('e1', 'ann', 'https://a/2', 200_000)).toBeUndefined();
    expect(bursts.observe('e1', 'bob', 'https://a/3', 200_100)).toBeUndefined();
  });
});

describe('a bot flag\'s reason', () => {
  it('quotes at most 200 characters of a long user agent, so the event can be stored (found by pnpm fuzz)', () => {
    const flag = botFlag(`bot ${'x'.repeat(2000)}`);
    expect(flag?.kind).toBe('bot');
    expect(flag?.reason.length).toBeLessThan(300);
  });
});
