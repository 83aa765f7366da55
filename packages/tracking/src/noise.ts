import { BlockList, isIP } from 'node:net';
import { isbot, isbotMatch } from 'isbot';

/** Why an event should not heat a lead. Kept on the raw event; the scoring rules exclude flagged events. */
export interface NoiseFlag {
  readonly kind: 'bot' | 'scanner' | 'internal';
  readonly reason: string;
}

export interface NoiseSettings {
  /** CIDRs of the company's own networks, e.g. 10.0.0.0/8, 2001:db8::/32. */
  readonly internalRanges: readonly string[];
  /** The company's own email domains: its staff's events are not leads' events. */
  readonly internalEmailDomains: readonly string[];
  /** A click this soon after the email was sent is a security scanner, not a person. */
  readonly scannerClickSeconds: number;
  /** Clicks on different links of one email by one recipient within this window are a scanner following every link. */
  readonly scannerBurstSeconds: number;
  /** One click on a link of an email by a recipient counts once per window this long, counted from the send time. */
  readonly clickWindowMs: number;
}

export class InvalidRangeError extends Error {
  override readonly name = 'InvalidRangeError';
}

export function internalNetworks(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [address, prefix] = range.split('/');
    const family = isIP(address ?? '');
    const bits = Number(prefix ?? (family === 6 ? 128 : 32));
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new InvalidRangeError(`${range} is not an IP range (CIDR)`);
    list.addSubnet(address as string, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** What a reason quotes of a sender's text: a flag's reason is stored with the event, which holds 500 characters. */
const QUOTED_MAX = 200;
const quoted = (text: string) => (text.length > QUOTED_MAX ? `${text.slice(0, QUOTED_MAX)}…` : text);

export function botFlag(userAgent: string | undefined): NoiseFlag | undefined {
  if (!userAgent || !isbot(userAgent)) return undefined;
  // isbot may match the whole string (a long unknown agent): quoted in part, or the event could not be stored (found
  // by pnpm fuzz: accepted, then dead-lettered by the worker).
  return { kind: 'bot', reason: `user agent matches the crawler pattern "${quoted(isbotMatch(userAgent) ?? userAgent)}"` };
}

export function internalIpFlag(ip: string | undefined, networks: BlockList, ranges: readonly string[]): NoiseFlag | undefined {
  if (!ip) return undefined;
  const family = isIP(ip);
  if (!family || !networks.check(ip, family === 6 ? 'ipv6' : 'ipv4')) return undefined;
  return { kind: 'internal', reason: `ip ${ip} is in an internal range (${ranges.join(', ')})` };
}

export function internalEmailFlag(email: string | undefined, domains: readonly string[]): NoiseFlag | undefined {
  if (!email || !email.includes('@')) return undefined;
  const domain = email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase();
  const match = domains.find((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`));
  return match ? { kind: 'internal', reason: `email domain ${domain} is internal (${match})` } : undefined;
}

export function earlyClickFlag(clickedAt: number, sentAt: number, thresholdSeconds: number): NoiseFlag | undefined {
  const seconds = (clickedAt - sentAt * 1000) / 1000;
  if (seconds < 0 || seconds >= thresholdSeconds) return undefined;
  return { kind: 'scanner', reason: `clicked ${seconds.toFixed(1)} s after the email was sent (under ${thresholdSeconds} s: a security scanner)` };
}

/**
 * Remembers recent clicks per email and recipient to spot a scanner that follows every link at once. Held in the
 * collector's memory: bounded, and per instance (behind a load balancer a burst split across instances is missed).
 */
export class ClickBurstDetector {
  private readonly recent = new Map<string, { url: string; at: number }[]>();
  constructor(
    private readonly windowSeconds: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Records a click and says whether another link of the same email was clicked within the window. */
  observe(emailId: string, recipient: string, url: string, at: number): NoiseFlag | undefined {
    const key = `${emailId}\u0000${recipient}`;
    const windowMs = this.windowSeconds * 1000;
    const clicks = (this.recent.get(key) ?? []).filter((c) => at - c.at <= windowMs);
    const other = clicks.find((c) => c.url !== url);
    clicks.push({ url, at });
    this.recent.delete(key);
    this.recent.set(key, clicks);
    if (this.recent.size > this.maxKeys) this.recent.delete(this.recent.keys().next().value as string);
    if (!other) return undefined;
    return { kind: 'scanner', reason: `another link of this email was clicked ${((at - other.at) / 1000).toFixed(1)} s earlier (links followed all at once: a security scanner)` };
  }
}
