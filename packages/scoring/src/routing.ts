import type { Routing } from './rules.ts';

/** What routes read of an alert: the lead's company owner and region, its tier and role, the rule that fired. */
export interface RouteFacts {
  readonly owner?: string | undefined;
  readonly region?: string | undefined;
  readonly tier?: string | undefined;
  readonly role?: string | undefined;
  readonly rule: string;
}

const holds = (allowed: readonly string[] | undefined, value: string | undefined) =>
  allowed === undefined || (value !== undefined && allowed.some((a) => a.toLowerCase() === value.toLowerCase()));

/** The channels an alert goes to: those of the first route whose conditions all hold, else the default route. */
export function routeAlert(routing: Routing, facts: RouteFacts): { routeId: string; channels: string[] } {
  for (const route of routing.routes) {
    const w = route.when;
    if (holds(w.owner, facts.owner) && holds(w.region, facts.region) && holds(w.tier, facts.tier) && holds(w.role, facts.role) && holds(w.rule, facts.rule)) {
      return { routeId: route.id, channels: [...route.channels] };
    }
  }
  return { routeId: 'default', channels: [...routing.default] };
}
