import type { Redis } from 'ioredis';
import { subjectKeys } from './steps.ts';

/**
 * The alert outbox's markers read back (markAlert-2.lua writes them): which rule fired for a subject, in which
 * window, when, and whether its job is in the queue yet. Readers (the hot list's suggested action, a lead's alerts)
 * use this instead of the queue, which is not indexed by lead.
 */
export interface AlertMarker {
  readonly rule: string;
  readonly window: string;
  readonly state: 'pending' | 'enqueued';
  /** When it was marked (pending) or enqueued (ms). */
  readonly at: number;
}

/** Markers of a subject's alerts hash, newest first; fields that are not markers are left out. */
export function parseAlertMarkers(hash: Readonly<Record<string, string>>): AlertMarker[] {
  const out: AlertMarker[] = [];
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('alert:')) continue;
    // alert:<rule>:<window>; rule ids have no ':' (the rules' id pattern), windows may.
    const rest = field.slice('alert:'.length);
    const cut = rest.indexOf(':');
    const m = /^(pending|enqueued)\t(\d+)/.exec(value);
    if (cut <= 0 || !m) continue;
    out.push({ rule: rest.slice(0, cut), window: rest.slice(cut + 1), state: m[1] as AlertMarker['state'], at: Number(m[2]) });
  }
  return out.sort((a, b) => b.at - a.at || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

export async function readAlertMarkers(redis: Redis, namespace: string, subject: string): Promise<AlertMarker[]> {
  return parseAlertMarkers(await redis.hgetall(subjectKeys(namespace, subject).alerts));
}
