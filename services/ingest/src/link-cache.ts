/** What a worker knows of a profile's link into a lead: the lead, the link's record time, and whether its history
 * has been replayed there (merged). */
export interface KnownLink {
  readonly lead: string;
  /** Event time of the link's earliest statement, when known. */
  readonly at?: number;
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
    const merged = { ...link, merged: link.merged || (known?.lead === link.lead && known.merged) };
    const at = link.at ?? (known?.lead === link.lead ? known.at : undefined);
    this.put(this.links, profile, at === undefined ? { lead: merged.lead, merged: merged.merged } : { ...merged, at });
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
