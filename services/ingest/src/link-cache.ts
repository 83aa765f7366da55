/**
 * What the worker remembers of identity between batches, to spare a lookup round trip. A visitor's link never
 * changes once made, so remembering it is safe; an email's owner can move from a provisional lead to a user, and a
 * stale answer only costs a redirect (the provisional lead's script points on to the user).
 */
export class LinkCache {
  private readonly visitors = new Map<string, string>();
  private readonly emails = new Map<string, string>();
  constructor(private readonly capacity = 200_000) {}

  visitorLead(anonymousId: string): string | undefined {
    return this.visitors.get(anonymousId);
  }
  setVisitorLead(anonymousId: string, lead: string): void {
    this.put(this.visitors, anonymousId, lead);
  }
  emailOwner(email: string): string | undefined {
    return this.emails.get(email);
  }
  setEmailOwner(email: string, owner: string): void {
    this.put(this.emails, email, owner);
  }

  private put(map: Map<string, string>, key: string, value: string): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.capacity) map.delete(map.keys().next().value as string);
  }
}
