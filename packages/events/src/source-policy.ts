import { createHmac, timingSafeEqual } from 'node:crypto';
import { emailTokenProves } from './email-token.ts';
import type { MessageType } from './message.ts';
import type { Rejection } from './intake.ts';
import type { TrackedEvent } from './tracked-event.ts';

/**
 * What a source may send. A website's write key is in every visitor's browser, so anyone holding it can send
 * whatever that key may: a browser key must not be able to record orders, set a known user's or a company's traits,
 * or merge identities. Each source has a policy (COLLECTOR_SOURCE_POLICIES); the collector refuses what it does not
 * allow, message by message, naming the rule.
 */
export interface SourcePolicy {
  readonly types: readonly MessageType[];
  /** Which `track` events: any, none of the order events, or only those. */
  readonly trackEvents: 'any' | 'not-orders' | 'orders-only';
  /** Traits on a message naming a user (identify, group or context traits): from anyone, or only with a userHash. */
  readonly userTraits: 'any' | 'verified';
}

export const ORDER_EVENT_NAMES: readonly string[] = ['Order Completed', 'Order Refunded'];

export const SOURCE_POLICIES = {
  /** A website: pages, its own events, a visitor's identify and form answers; a signed-in user's traits only with
   * the userHash the site's backend computed (identity verification). No orders, no aliases. */
  browser: { types: ['page', 'screen', 'track', 'identify', 'group'], trackEvents: 'not-orders', userTraits: 'verified' },
  /** A shop's backend: orders and refunds, and who bought. */
  shop: { types: ['track', 'identify'], trackEvents: 'orders-only', userTraits: 'any' },
  /** A CRM: people's and companies' traits. */
  crm: { types: ['identify', 'group'], trackEvents: 'any', userTraits: 'any' },
  /** A trusted server, or an import: anything. */
  server: { types: ['track', 'page', 'screen', 'identify', 'group', 'alias'], trackEvents: 'any', userTraits: 'any' },
} as const satisfies Record<string, SourcePolicy>;
export type PolicyName = keyof typeof SOURCE_POLICIES;
export const POLICY_NAMES = Object.keys(SOURCE_POLICIES) as PolicyName[];

/** The userHash a site's backend gives a signed-in user's browser: HMAC-SHA256 of the user id, hex. */
export const userHashOf = (userId: string, secret: string) => createHmac('sha256', secret).update(userId).digest('hex');

const hasEntries = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length > 0;

function verified(userId: string, hash: unknown, secret: string | undefined): boolean {
  if (secret === undefined || typeof hash !== 'string' || !/^[0-9a-f]{64}$/i.test(hash)) return false;
  return timingSafeEqual(Buffer.from(hash.toLowerCase(), 'hex'), Buffer.from(userHashOf(userId, secret), 'hex'));
}

/**
 * How a browser's claim is checked against a signed click's token: the address the event claims (normalized; asked
 * only of an event that carries a token) and the secret of link tokens.
 */
export interface EmailProof {
  readonly emailOf: (event: TrackedEvent) => string | undefined;
  readonly linkSecret: string | undefined;
}

/**
 * Whether an event's email claim is trusted: from an import, a signed email link or a person's decision, from a
 * source whose policy is not a browser's, from a browser naming a user it verified (context.userHash), or from a
 * browser presenting a signed click's token for that very address (context.emailToken, see email-token.ts). A
 * browser's other claims are provisional: they never take an address from a user, and a trusted claim takes it from
 * them.
 */
export function isTrustedClaim(event: TrackedEvent, policies: Readonly<Record<string, PolicyName>>, identitySecrets: Readonly<Record<string, string>>, proof?: EmailProof): boolean {
  if (event.source.kind === 'import' || event.source.kind === 'email' || event.source.kind === 'admin') return true;
  const policy = policies[event.source.id];
  if (policy !== 'browser') return true;
  const context = event.context as { userHash?: unknown; emailToken?: unknown } | undefined;
  if (event.userId !== undefined && verified(event.userId, context?.userHash, identitySecrets[event.source.id])) return true;
  if (proof === undefined || context?.emailToken === undefined) return false;
  return emailTokenProves(context.emailToken, proof.emailOf(event), Date.parse(event.timestamp), proof.linkSecret);
}

/** Why a source may not send this event, or undefined when it may. */
export function policyRefusal(event: TrackedEvent, policyName: PolicyName, identitySecret?: string): Rejection | undefined {
  const policy: SourcePolicy = SOURCE_POLICIES[policyName];
  const source = `source ${event.source.id} (${policyName})`;
  const refuse = (path: string, message: string): Rejection => ({ reason: 'not_permitted', issues: [{ path, message }] });
  if (!policy.types.includes(event.type)) return refuse('type', `${source} may not send ${event.type} calls (it may send ${policy.types.join(', ')})`);
  if (event.type === 'track') {
    const order = ORDER_EVENT_NAMES.includes(event.event);
    if (order && policy.trackEvents === 'not-orders') return refuse('event', `${source} may not send "${event.event}": orders and refunds come from a shop's backend (a shop or server key)`);
    if (!order && policy.trackEvents === 'orders-only') return refuse('event', `${source} may only send order events (${ORDER_EVENT_NAMES.join(', ')})`);
  }
  if (policy.userTraits === 'verified' && event.userId) {
    const traits = event.type === 'identify' || event.type === 'group' ? event.traits : undefined;
    if (hasEntries(traits) || hasEntries(event.context?.traits)) {
      const hash = (event.context as { userHash?: unknown } | undefined)?.userHash;
      if (!verified(event.userId, hash, identitySecret)) {
        return refuse(
          'context.userHash',
          identitySecret === undefined
            ? `${source} may not set a user's or company's traits: give the source an identity secret (COLLECTOR_IDENTITY_SECRETS) and send context.userHash, or send traits from a server key`
            : `traits for user ${JSON.stringify(event.userId.slice(0, 80))} need context.userHash, the HMAC-SHA256 of the user id with the source's identity secret (computed by the site's backend)`,
        );
      }
    }
  }
  return undefined;
}
