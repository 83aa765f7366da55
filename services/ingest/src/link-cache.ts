/** What a worker knows of a profile's link into a lead: the lead, the link's record time, and whether its history
 * has been replayed there (merged). */
export interface KnownLink {
  readonly lead: string;
  /** Event time of the link's record (its earliest statement), when known. */
  readonly at?: number;
  /** The record is only derived (see Link in packages/identity): a statement of the link would replace it. */
  readonly derived?: boolean;
  readonly merged: boolean;
}

/**
 * What the worker remembers of identity between batches, to spare round trips: links of visitors and provisional
 * leads (a link never changes once made, so remembering it is safe) and the owners of emails (an owner can move
 * from a provisional lead to a user; a stale answer only costs a redirect). Only what Redis confirmed goes in, so
 * a batch that failed half-way leaves nothing here that is not so. Capped: the least recently set go first.
 */
export class LinkCache {
  private readonly links = new Map<string, KnownLink>();
  private readonly emails = new Map<string, string>();
  constructor(private readonly capacity = 200_000) {}

  linkOf(profile: string): KnownLink | undefined {
    return this.links.get(profile);
  }
  setLink(profile: string, link: KnownLink): void {
    const known = this.links.get(profile);
    // What is known stays known: a redirect that names the lead says nothing of the record's time or the merge.
    const same = known?.lead === link.lead;
    const merged = link.merged || (same && known.merged);
    // The record's time and kind go together: a redirect that names the lead says neither.
    const record = link.at !== undefined ? { at: link.at, derived: link.derived === true } : same && known.at !== undefined ? { at: known.at, derived: known.derived === true } : {};
    this.put(this.links, profile, { lead: link.lead, merged, ...record });
  }
  emailOwner(email: string): string | undefined {
    return this.emails.get(email);
  }
  setEmailOwner(email: string, owner: string): void {
    this.put(this.emails, email, owner);
  }

  private put<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.capacity) map.delete(map.keys().next().value as string);
  }
}
