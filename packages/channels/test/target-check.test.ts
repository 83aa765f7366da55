import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTarget, isPublicAddress, type HostLookup } from '../src/target-check.ts';

/** A resolver that knows the given names and nothing else; never the real DNS. */
function resolver(table: Record<string, readonly string[]>): HostLookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    calls.push(host);
    const addrs = table[host];
    if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

const octet = fc.integer({ min: 0, max: 255 });
const quad = (a: number, b: number, c: number, d: number) => `${a}.${b}.${c}.${d}`;

describe('isPublicAddress', () => {
  it('refuses every address in 10/8, 172.16/12, 192.168/16, 127/8, 169.254/16 and 100.64/10', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.constant(10), octet, octet, octet),
          fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
          fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
          fc.tuple(fc.constant(127), octet, octet, octet),
          fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
          fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), octet, octet),
        ),
        ([a, b, c, d]) => {
          expect(isPublicAddress(quad(a, b, c, d))).toBe(false);
          expect(isPublicAddress(`::ffff:${quad(a, b, c, d)}`)).toBe(false);
          const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
          expect(isPublicAddress(`::ffff:${hex(a, b)}:${hex(c, d)}`)).toBe(false);
        },
      ),
    );
  });

  it('accepts public IPv4 addresses and their IPv4-mapped form', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1']) {
      expect(isPublicAddress(a)).toBe(true);
      expect(isPublicAddress(`::ffff:${a}`)).toBe(true);
    }
  });

  it('refuses the unspecified addresses', () => {
    expect(isPublicAddress('0.0.0.0')).toBe(false);
    expect(isPublicAddress('::')).toBe(false);
  });

  it('refuses IPv6 loopback, unique-local and link-local addresses', () => {
    for (const a of ['::1', '0:0:0:0:0:0:0:1', 'fc00::1', 'fd12:3456:789a::1', 'fe80::1', 'fe80::1%eth0', 'febf::1']) {
      expect(isPublicAddress(a)).toBe(false);
    }
  });

  it('refuses IPv6 forms that carry a private IPv4 address (NAT64, 6to4)', () => {
    expect(isPublicAddress('64:ff9b::10.0.0.1')).toBe(false);
    expect(isPublicAddress('2002:7f00:1::')).toBe(false);
  });

  it('accepts public IPv6 addresses', () => {
    for (const a of ['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e']) {
      expect(isPublicAddress(a)).toBe(true);
    }
  });

  it('refuses what is not an IP address', () => {
    expect(isPublicAddress('localhost')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('checkTarget', () => {
  it('accepts a public https URL with the addresses it resolved to', async () => {
    const lookup = resolver({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });
    const r = await checkTarget('https://hooks.example.com/in/abc', { refusePrivate: true, lookup });
    expect(r).toMatchObject({ ok: true, addresses: [{ address: '93.184.216.34' }, { address: '2606:2800:220:1::1' }] });
  });

  it('refuses a URL that does not parse', async () => {
    expect(await checkTarget('not a url', { refusePrivate: false })).toMatchObject({ ok: false, code: 'invalid_url' });
  });

  it('refuses protocols other than http and https', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'gopher://example.com/']) {
      expect(await checkTarget(url, { refusePrivate: false })).toMatchObject({ ok: false, code: 'unsupported_protocol' });
    }
  });

  it('refuses credentials in the URL', async () => {
    const lookup = resolver({ 'example.com': ['93.184.216.34'] });
    for (const url of ['https://user:secret@example.com/', 'https://user@example.com/']) {
      expect(await checkTarget(url, { refusePrivate: false, lookup })).toMatchObject({
        ok: false,
        code: 'credentials_in_url',
      });
    }
  });

  it('refuses a name that resolves to a private address', async () => {
    const lookup = resolver({ 'internal.example.com': ['10.0.0.5'] });
    const r = await checkTarget('https://internal.example.com/', { refusePrivate: true, lookup });
    expect(r).toMatchObject({ ok: false, code: 'private_address' });
    expect(r.ok ? '' : r.reason).toContain('10.0.0.5');
  });

  it('refuses a name when any one of its addresses is private', async () => {
    const lookup = resolver({ 'mixed.example.com': ['93.184.216.34', '::ffff:127.0.0.1'] });
    const r = await checkTarget('https://mixed.example.com/', { refusePrivate: true, lookup });
    expect(r).toMatchObject({ ok: false, code: 'private_address' });
  });

  it('refuses private IP literals without asking DNS, however the URL spells them', async () => {
    const lookup = resolver({});
    const urls = [
      'http://127.0.0.1:8080/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:10.1.2.3]/',
      'http://169.254.169.254/latest/meta-data',
    ];
    for (const url of urls) {
      expect(await checkTarget(url, { refusePrivate: true, lookup })).toMatchObject({ ok: false, code: 'private_address' });
    }
    expect(lookup.calls).toEqual([]);
  });

  it('allows private addresses when refusePrivate is off', async () => {
    const r = await checkTarget('http://127.0.0.1:3000/hook', { refusePrivate: false });
    expect(r).toMatchObject({ ok: true, addresses: [{ address: '127.0.0.1', family: 4 }] });
  });

  it('reports a failed lookup as dns_failed', async () => {
    const r = await checkTarget('https://nowhere.invalid/', { refusePrivate: true, lookup: resolver({}) });
    expect(r).toMatchObject({ ok: false, code: 'dns_failed' });
  });

  it('reports a name without addresses as dns_failed', async () => {
    const r = await checkTarget('https://empty.example.com/', { refusePrivate: true, lookup: resolver({ 'empty.example.com': [] }) });
    expect(r).toMatchObject({ ok: false, code: 'dns_failed' });
  });
});
