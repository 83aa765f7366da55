/**
 * The messages as plain objects, shaped like what analytics.js, a server SDK or an email tool posts to a Segment-style
 * collector. Kept local (not imported from @leadscore/events) so the simulator stays a leaf with no runtime deps;
 * the collector's schemas are the judge of whether these shapes are right.
 */

export interface Campaign {
  name?: string;
  source?: string;
  medium?: string;
  term?: string;
  content?: string;
}

export interface PageInfo {
  url: string;
  path: string;
  referrer: string;
  title: string;
  search: string;
}

export interface MessageContext {
  page?: PageInfo;
  userAgent?: string;
  ip?: string;
  campaign?: Campaign;
  groupId?: string;
  library: { name: string; version: string };
  locale?: string;
  timezone?: string;
}

interface Envelope {
  messageId: string;
  anonymousId?: string;
  userId?: string;
  timestamp: string;
  context: MessageContext;
}

export interface TrackMessage extends Envelope {
  type: 'track';
  event: string;
  properties: Record<string, unknown>;
}

export interface PageMessage extends Envelope {
  type: 'page';
  name?: string;
  properties: Record<string, unknown>;
}

export interface IdentifyMessage extends Envelope {
  type: 'identify';
  traits: Record<string, unknown>;
}

export interface GroupMessage extends Envelope {
  type: 'group';
  groupId: string;
  traits: Record<string, unknown>;
}

export type SegmentMessage = TrackMessage | PageMessage | IdentifyMessage | GroupMessage;

export interface SimulateOptions {
  /** Same seed, same `now`, same sizes → identical output. */
  seed: number | string;
  /** The moment the simulated traffic leads up to; no event is later. */
  now: Date | string | number;
  companies?: number;
  weeks?: number;
}

export interface Expected {
  /** `u:<userId>` of leads with pricing views on 3 consecutive UTC days ending today or yesterday. */
  hot: string[];
  /** `e:<email>` or `u:<userId>` of leads that left an email 30+ days ago and have been silent since. */
  cold: string[];
  /** `u:<userId>` of leads with one Order Completed worth ≥ 100,000 USD (CNY at 7 to the USD). */
  bigCustomers: string[];
}

export interface Simulation {
  /** In timestamp order; use `deliveryOrder` for the order a collector would see them arrive in. */
  messages: SegmentMessage[];
  expected: Expected;
}
