/**
 * What a backtest reports, worked out from what the replay recorded (pure): alerts per rule and per day, the
 * (lead, rule, window) list, leads per tier and grade at each day's end, and how well the alerts called the leads
 * that converted — precision, recall and lift, the terms predictive vendors state their targets in.
 */

export interface AlertRecord {
  readonly lead: string;
  readonly rule: string;
  readonly window: string;
  /** When the replay's clock fired it (event time, ms). */
  readonly at: number;
}

export interface Conversion {
  readonly lead: string;
  readonly at: number;
}

export interface DayEnd {
  readonly day: string;
  /** The moment the day's figures are as of (the day's end, or the last event's time on the last day). */
  readonly at: string;
  readonly tiers: Readonly<Record<string, number>>;
  readonly grades: Readonly<Record<string, number>>;
}

export interface Effectiveness {
  /** Leads active in the period. */
  readonly leads: number;
  /** Leads alerted at least once, and their share of all. */
  readonly alerted: number;
  readonly alertedShare: number;
  /** Alerted leads that converted within the horizon after their first alert. */
  readonly alertedConverted: number;
  /** alertedConverted ÷ alerted. */
  readonly precision: number;
  /** Leads that converted in the period, and the share of them converted after an alert (within the horizon). */
  readonly converted: number;
  readonly recall: number;
  /** Conversion rate of alerted leads ÷ that of the others (from their first activity); null when the others never convert. */
  readonly lift: number | null;
  readonly otherRate: number;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/**
 * How well alerts called conversions. A lead counts as alerted from its first alert; it converted when it has a
 * conversion strictly after that and within `horizonMs` (an order that itself made the lead hot proves nothing).
 * The others convert when they have a conversion within `horizonMs` after their first activity. Recall: of the leads
 * with any conversion in the period, those whose conversion came within the horizon after an alert.
 */
export function effectiveness(input: {
  readonly firstSeen: ReadonlyMap<string, number>;
  readonly alerts: readonly AlertRecord[];
  readonly conversions: readonly Conversion[];
  readonly horizonMs: number;
}): Effectiveness {
  const firstAlert = new Map<string, number>();
  for (const a of input.alerts) if (!firstAlert.has(a.lead) || a.at < (firstAlert.get(a.lead) as number)) firstAlert.set(a.lead, a.at);
  const conversionsOf = new Map<string, number[]>();
  for (const c of input.conversions) conversionsOf.set(c.lead, [...(conversionsOf.get(c.lead) ?? []), c.at]);
  const convertsWithin = (lead: string, from: number, strictly: boolean) =>
    (conversionsOf.get(lead) ?? []).some((at) => (strictly ? at > from : at >= from) && at <= from + input.horizonMs);
  const leads = new Set([...input.firstSeen.keys(), ...firstAlert.keys()]);
  let alertedConverted = 0;
  let others = 0;
  let othersConverted = 0;
  for (const lead of leads) {
    const alertAt = firstAlert.get(lead);
    if (alertAt !== undefined) {
      if (convertsWithin(lead, alertAt, true)) alertedConverted++;
    } else {
      others++;
      if (convertsWithin(lead, input.firstSeen.get(lead) as number, false)) othersConverted++;
    }
  }
  const converted = [...conversionsOf.keys()].filter((lead) => leads.has(lead)).length;
  const precision = share(alertedConverted, firstAlert.size);
  const otherRate = share(othersConverted, others);
  return {
    leads: leads.size,
    alerted: firstAlert.size,
    alertedShare: share(firstAlert.size, leads.size),
    alertedConverted,
    precision,
    converted,
    recall: share(alertedConverted, converted),
    lift: otherRate === 0 ? null : precision / otherRate,
    otherRate,
  };
}

/** Alerts per rule, and per rule and day (in the zone's calendar). */
export function alertCounts(alerts: readonly AlertRecord[], dayOf: (ms: number) => string) {
  const perRule: Record<string, number> = {};
  const perDay: Record<string, Record<string, number>> = {};
  for (const a of alerts) {
    perRule[a.rule] = (perRule[a.rule] ?? 0) + 1;
    const day = (perDay[dayOf(a.at)] ??= {});
    day[a.rule] = (day[a.rule] ?? 0) + 1;
  }
  return { perRule, perDay };
}

/** The (lead, rule, window) list in a fixed order: what two backtests, or a backtest and the live path, compare. */
export const alertKeys = (alerts: readonly AlertRecord[]) => [...new Set(alerts.map((a) => `${a.lead}\t${a.rule}\t${a.window}`))].sort();

/** Alerts one rules file fires and the other does not, by (lead, rule, window). */
export function alertDiff(base: readonly AlertRecord[], candidate: readonly AlertRecord[]) {
  const before = new Set(alertKeys(base));
  const after = new Set(alertKeys(candidate));
  return { gained: [...after].filter((k) => !before.has(k)), lost: [...before].filter((k) => !after.has(k)) };
}
