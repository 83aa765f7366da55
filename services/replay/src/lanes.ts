import type { TrackedEvent } from '@leadscore/events';
import { anonymousProfile, claimsOf, companyOf, emailProfile, userProfile } from '@leadscore/identity';

/**
 * Identities and companies remembered to keep components apart. Past this many, every later event goes to lane 0:
 * one lane is the serial replay, always right, only slower.
 */
const REMEMBERED = 5_000_000;

/**
 * The keys in Redis an event may touch, by name: the profiles it speaks for (its user, a user people merged into it,
 * its email lead, its visitor) and the company it names. Two events that share none, directly or through other
 * events, write disjoint keys (the portrait layout keeps a lead's and a company's keys apart; shared indexes are
 * sets keyed by member), so the order between them changes nothing.
 */
function keysOf(event: TrackedEvent, freeMailDomains: ReadonlySet<string>): string[] {
  const c = claimsOf(event);
  const keys: string[] = [];
  if (c.userId) keys.push(userProfile(c.userId));
  if (c.mergedUser) keys.push(userProfile(c.mergedUser));
  if (c.email) keys.push(emailProfile(c.email));
  if (c.anonymousId) keys.push(anonymousProfile(c.anonymousId));
  const company = companyOf(event, freeMailDomains);
  if (company) keys.push(`c\t${company}`);
  return keys;
}

/** FNV-1a: a component's lane from its root's name, the same in every run. */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Splits a replay's stretch of events into lanes that may run side by side. Events that may touch the same keys —
 * through any chain of events seen so far, or a merge people made — are one component (union–find over the keys),
 * and a component's events of the stretch all go to one lane, in their order. Within a lane the replay is exactly
 * the serial one; between lanes nothing is shared but sets keyed by member, so the portraits, ledgers and firings
 * are the same whatever the lanes' interleaving. Components only ever grow, so a later stretch may put one on
 * another lane: stretches run one after another.
 *
 * A resumed replay never saw the events before its position, which may have linked what looks apart now: it runs in
 * one lane.
 */
export function createLanes(options: { readonly lanes: number; readonly freeMailDomains: ReadonlySet<string>; readonly merges?: readonly { readonly user: string; readonly into: string }[]; readonly remembered?: number }) {
  const parent = new Map<string, string>();
  const remembered = options.remembered ?? REMEMBERED;
  let lanes = Math.max(1, Math.floor(options.lanes));

  function find(key: string): string {
    let k = key;
    for (;;) {
      const p = parent.get(k);
      if (p === undefined || p === k) return k;
      const grand = parent.get(p) ?? p;
      // Path halving: each find shortens the chain it walks.
      parent.set(k, grand);
      k = grand;
    }
  }
  function join(keys: readonly string[]): void {
    const [first, ...rest] = keys;
    if (first === undefined) return;
    let root = find(first);
    if (!parent.has(root)) parent.set(root, root);
    for (const key of rest) {
      const other = find(key);
      if (other === root) continue;
      // The smaller name is the root, so a component's root (and lane) does not depend on the order of its joins.
      if (other < root) {
        parent.set(root, other);
        root = other;
      } else parent.set(other, root);
    }
  }
  for (const m of options.merges ?? []) join([m.user, m.into]);

  return {
    get lanes() {
      return lanes;
    },
    /** The stretch's events by lane (each in the order given); a lane with no event is left out. */
    split<E extends { readonly event: TrackedEvent }>(stretch: readonly E[]): E[][] {
      if (lanes === 1) return stretch.length > 0 ? [[...stretch]] : [];
      const keys = stretch.map((e) => keysOf(e.event, options.freeMailDomains));
      for (const k of keys) join(k);
      if (parent.size > remembered) {
        lanes = 1;
        parent.clear();
        return stretch.length > 0 ? [[...stretch]] : [];
      }
      const byLane: E[][] = Array.from({ length: lanes }, () => []);
      stretch.forEach((e, i) => {
        const first = keys[i]?.[0];
        (byLane[first === undefined ? 0 : hashOf(find(first)) % lanes] as E[]).push(e);
      });
      return byLane.filter((l) => l.length > 0);
    },
  };
}
