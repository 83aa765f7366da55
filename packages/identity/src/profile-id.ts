/**
 * Profiles are where events accumulate. A profile id says what kind of identity it stands for:
 *   u:<userId>      a known lead, identified by the site's own user id
 *   e:<email>       a lead known only by a (normalized) email: forms and imports without a user id
 *   a:<anonymousId> an anonymous visitor, until it is linked to a lead
 * Leads are the `u:` and `e:` profiles. An `e:` lead is provisional: when a user id claims its email, it is linked
 * into that user's lead like an anonymous visitor. Two `u:` leads are never linked automatically: only a person merges
 * them (see manual-merge.ts).
 */
export type ProfileKind = 'user' | 'email' | 'anonymous';

export const PREFIX: Record<ProfileKind, string> = { user: 'u:', email: 'e:', anonymous: 'a:' };

export const userProfile = (userId: string) => `${PREFIX.user}${userId}`;
export const emailProfile = (email: string) => `${PREFIX.email}${email}`;
export const anonymousProfile = (anonymousId: string) => `${PREFIX.anonymous}${anonymousId}`;

export function profileKind(profileId: string): ProfileKind {
  if (profileId.startsWith(PREFIX.user)) return 'user';
  if (profileId.startsWith(PREFIX.email)) return 'email';
  return 'anonymous';
}

export const isLead = (profileId: string) => profileKind(profileId) !== 'anonymous';
