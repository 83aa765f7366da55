const WHITESPACE = /\s/;

/**
 * Lower-cased and trimmed; undefined when it is not an address: 1–64 characters before the one `@`, a domain with a
 * dot and a top-level part of at least two characters after it, no whitespace, 254 characters in all. Read by
 * position, not by a backtracking pattern, so its cost is linear in the text whatever a stranger puts in it (a
 * pattern took half a second on "a@" and 30,000 dots, which the collector and every worker read several times).
 * Provider-specific rewrites (gmail dots) are not applied: they would merge people who are different at other
 * providers.
 */
export function normalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 1024) return undefined;
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || WHITESPACE.test(email)) return undefined;
  const at = email.indexOf('@');
  if (at < 1 || at > 64 || email.indexOf('@', at + 1) !== -1) return undefined;
  const dot = email.lastIndexOf('.');
  return dot > at + 1 && email.length - dot - 1 >= 2 ? email : undefined;
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}
