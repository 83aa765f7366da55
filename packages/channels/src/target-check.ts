import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

export type HostLookup = (host: string) => Promise<readonly ResolvedAddress[]>;

export type TargetRefusal =
  | 'invalid_url'
  | 'unsupported_protocol'
  | 'credentials_in_url'
  | 'dns_failed'
  | 'private_address';

export type TargetCheck =
  | { readonly ok: true; readonly url: URL; readonly addresses: readonly ResolvedAddress[] }
  | { readonly ok: false; readonly code: TargetRefusal; readonly reason: string };

export interface TargetCheckOptions {
  /**
   * Refuse hosts that resolve to loopback, private, link-local, CGNAT and other non-public addresses, so that a
   * webhook URL typed in by a tenant can not make the service call its own network (SSRF). Off for local development.
   */
  readonly refusePrivate: boolean;
  /** Resolves every address of a host; `dns.lookup(host, { all: true })` by default. */
  readonly lookup?: HostLookup;
}

const systemLookup: HostLookup = (host) => dnsLookup(host, { all: true });

/**
 * Whether `url` may be called, and the addresses it may be called at. The addresses are checked after resolution,
 * not the name: a name says nothing about where it points (`internal.example.com` can hold 10.0.0.5), and a name
 * that resolved to a public address a moment ago may resolve to 127.0.0.1 now (DNS rebinding). For the check to
 * hold, the client must connect to exactly these addresses rather than look the name up again — `deliverHttp` pins
 * them through its agent's `lookup`, and reuses a kept-alive connection only from the pool of exactly these
 * addresses (`createConnectionPools`).
 *
 * `dns_failed` is the one refusal that may pass by itself (a resolver outage); the others are the URL's fault.
 */
export async function checkTarget(url: string | URL, options: TargetCheckOptions): Promise<TargetCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('invalid_url', 'not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return refuse('unsupported_protocol', `protocol ${parsed.protocol} is not http: or https:`);
  }
  // Userinfo would be sent as Basic auth and ends up in logs with the URL; secrets belong in headers.
  if (parsed.username !== '' || parsed.password !== '') {
    return refuse('credentials_in_url', 'the URL carries a user name or password');
  }
  const host = hostOf(parsed);
  let addresses: readonly ResolvedAddress[];
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal }];
  } else {
    try {
      addresses = await (options.lookup ?? systemLookup)(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      return refuse('dns_failed', `looking up ${host} failed${code ? ` (${code})` : ''}`);
    }
    if (addresses.length === 0) return refuse('dns_failed', `${host} has no addresses`);
  }
  if (options.refusePrivate) {
    // Every address, not the first: the client may fall back to any of them.
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) return refuse('private_address', `${host} resolves to non-public address ${bad.address}`);
  }
  return { ok: true, url: parsed, addresses };
}

function refuse(code: TargetRefusal, reason: string): TargetCheck {
  return { ok: false, code, reason };
}

/** The URL's host without the brackets of an IPv6 literal (WHATWG URL already normalised `0x7f.1` to `127.0.0.1`). */
function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

type Cidr = readonly [bytes: readonly number[], bits: number];

function v4(a: number, b: number, c: number, d: number, bits: number): Cidr {
  return [[a, b, c, d], bits];
}

/** IPv4 ranges that are not the public internet. */
const NON_PUBLIC_V4: readonly Cidr[] = [
  v4(0, 0, 0, 0, 8), // "this network", 0.0.0.0 reaches the local host on Linux
  v4(10, 0, 0, 0, 8), // private
  v4(100, 64, 0, 0, 10), // carrier-grade NAT
  v4(127, 0, 0, 0, 8), // loopback
  v4(169, 254, 0, 0, 16), // link-local, incl. cloud metadata 169.254.169.254
  v4(172, 16, 0, 0, 12), // private
  v4(192, 0, 0, 0, 24), // IETF protocol assignments
  v4(192, 168, 0, 0, 16), // private
  v4(198, 18, 0, 0, 15), // benchmarking
  v4(224, 0, 0, 0, 4), // multicast
  v4(240, 0, 0, 0, 4), // reserved, incl. broadcast
];

function v6(prefix: readonly number[], bits: number): Cidr {
  return [prefix, bits];
}

/** IPv6 ranges that are not the public internet (those embedding an IPv4 address are handled apart). */
const NON_PUBLIC_V6: readonly Cidr[] = [
  v6([0xfc], 7), // unique local
  v6([0xfe, 0x80], 10), // link-local
  v6([0xfe, 0xc0], 10), // site-local (deprecated, still routed by some)
  v6([0xff], 8), // multicast
];

/** Prefixes whose last 32 bits are an IPv4 address the packet ends up at, which is checked as such. */
const EMBEDS_V4_AT_END: readonly Cidr[] = [
  v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96), // IPv4-mapped ::ffff:a.b.c.d
  v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96), // IPv4-compatible ::a.b.c.d, incl. :: and ::1 as 0.0.0.0/0.0.0.1
  v6([0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96), // NAT64 64:ff9b::a.b.c.d
];

function inCidr(bytes: readonly number[], [prefix, bits]: Cidr): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * True for an address on the public internet; false for loopback, private, link-local, CGNAT, unspecified,
 * multicast and reserved ones, and for IPv6 forms that carry such an IPv4 address (mapped, compatible, NAT64,
 * 6to4). Also false for anything that does not parse as an IP address: when in doubt, refuse.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isPublicV4(parseV4(address));
  if (family === 6) {
    const bytes = parseV6(address);
    if (!bytes) return false;
    if (EMBEDS_V4_AT_END.some((c) => inCidr(bytes, c))) {
      // ::1 is loopback whatever 0.0.0.1 means; both sit in the compatible range and are non-public there too.
      return isPublicV4(bytes.slice(12, 16));
    }
    // 6to4 2002:AABB:CCDD::/16 tunnels to the IPv4 address AA.BB.CC.DD.
    if (inCidr(bytes, v6([0x20, 0x02], 16))) return isPublicV4(bytes.slice(2, 6));
    return !NON_PUBLIC_V6.some((c) => inCidr(bytes, c));
  }
  return false;
}

function isPublicV4(bytes: readonly number[]): boolean {
  return !NON_PUBLIC_V4.some((c) => inCidr(bytes, c));
}

function parseV4(address: string): number[] {
  return address.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (a zone `%eth0` dropped, a trailing dotted quad read), or undefined. */
function parseV6(address: string): number[] | undefined {
  let a = address.split('%')[0] ?? '';
  let tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (quad?.[1]) {
    tail = parseV4(quad[1]);
    a = a.slice(0, -quad[1].length) + '0:0';
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}
