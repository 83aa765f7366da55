/**
 * Whether a message's `context.consent` withholds consent to analytics, in the shapes consent managers send:
 * Segment's `categoryPreferences` ({ Analytics: false }), a flat `{ analytics: false }`, or `{ analytics: 'denied' }`
 * (Google's consent mode words). A category named analytics in any case counts; anything unclear is not a denial
 * (the site decides what it sends: a page that tracks without consent is the site's to fix, not ours to guess).
 */
const DENIED = new Set<unknown>([false, 'false', 'denied', 'no', 0]);

function deniesIn(preferences: unknown): boolean {
  if (typeof preferences !== 'object' || preferences === null || Array.isArray(preferences)) return false;
  for (const [key, value] of Object.entries(preferences)) {
    if (/^analytics(_storage)?$/i.test(key) && DENIED.has(value)) return true;
  }
  return false;
}

export function deniesAnalytics(context: { readonly consent?: unknown } | undefined): boolean {
  const consent = context?.consent;
  if (typeof consent !== 'object' || consent === null) return false;
  return deniesIn(consent) || deniesIn((consent as { categoryPreferences?: unknown }).categoryPreferences);
}
