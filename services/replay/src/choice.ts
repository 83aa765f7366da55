import type { ClickHouseClient } from '@clickhouse/client';
import { profileOfEvent, quoteIdentifier } from '@leadscore/clickhouse/sql';
import { companyKeys, profileKeys, resolveProfile } from '@leadscore/portrait';
import type { Redis } from 'ioredis';
import type { Chosen } from './swap.ts';

/**
 * Which portraits a rescore rebuilds, when not all: leads by id, companies (with their members), or whoever had
 * events received since a time (after Redis lost its last writes: the leads and companies those writes were for).
 * Any mix; each is read in the rebuilt namespace, where links and memberships are what the events say.
 */
export interface Choice {
  readonly leads?: readonly string[];
  readonly companies?: readonly string[];
  /** Received at or after this time (ms). */
  readonly since?: number;
}

export const isChoice = (c: Choice) => (c.leads?.length ?? 0) > 0 || (c.companies?.length ?? 0) > 0 || c.since !== undefined;

/** A firing's subject (a lead, or `c:<company>`) is among the chosen. */
export function isChosenSubject(chosen: Chosen, subject: string): boolean {
  return subject.startsWith('c:') ? chosen.companies.has(subject.slice(2)) : chosen.leads.has(subject);
}

/**
 * The chosen leads and companies as the rebuilt (scratch) namespace has them: each lead id resolved through its
 * links (a visitor or merged user names the lead it is part of), each company with its members.
 */
export async function chooseInScratch(deps: { readonly redis: Redis; readonly clickhouse: ClickHouseClient; readonly database: string }, scratch: string, choice: Choice): Promise<Chosen> {
  const leads = new Set<string>();
  const companies = new Set<string>(choice.companies ?? []);
  const addLead = async (id: string) => leads.add(await resolveProfile(deps.redis, scratch, id));
  for (const id of choice.leads ?? []) await addLead(id);
  if (choice.since !== undefined) {
    const db = quoteIdentifier(deps.database).text;
    const result = await deps.clickhouse.query({
      query: `SELECT DISTINCT ${profileOfEvent} AS profile, group_id FROM ${db}.events WHERE received_at_ms >= ${Math.floor(choice.since)}`,
      format: 'JSONEachRow',
    });
    const recent: { profile: string; group_id: string }[] = await result.json();
    for (const r of recent) {
      await addLead(r.profile);
      if (r.group_id) companies.add(r.group_id);
    }
    // The companies the recent actors acted for took their events too.
    for (const lead of [...leads]) for (const company of await deps.redis.zrange(profileKeys(scratch, lead).companies, 0, -1)) companies.add(company);
  }
  for (const company of choice.companies ?? []) for (const member of await deps.redis.zrange(companyKeys(scratch, company).members, 0, -1)) await addLead(member);
  return { leads, companies };
}
