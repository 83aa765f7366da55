import type { Redis } from 'ioredis';
import { alertMessageSchema, type AlertMessage } from '@leadscore/channels';
import type { HotLeadJob } from '@leadscore/events';
import { readCompany, readLedger, readPortrait, readTraitValues, type CompanyView } from '@leadscore/portrait';
import { buyingGroupCoverage, buyingGroupWindowMs, coverageSentence, type Rules } from '@leadscore/scoring';

const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

function companyOf(view: CompanyView | undefined) {
  if (!view) return undefined;
  const t = (name: string) => view.traits[name]?.value;
  const size = t('employees') ?? t('size');
  return {
    id: view.companyId,
    ...(text(t('name')) ? { name: text(t('name')) } : {}),
    ...(text(t('industry')) ? { industry: text(t('industry')) } : {}),
    ...(typeof size === 'number' || typeof size === 'string' ? { size } : {}),
    ...(text(t('region')) ? { region: text(t('region')) } : {}),
    ...(text(t('owner')) ? { owner: text(t('owner')) } : {}),
  };
}

/** One sentence of why, from what the rule that fired recorded. */
function summaryOf(job: HotLeadJob, companyName: string | undefined): string {
  const e = job.evidence;
  switch (job.kind) {
    case 'streak':
      return `${String(e.consecutiveDays)} consecutive days on the pattern of rule ${job.rule}: ${(e.days as string[] | undefined)?.join(', ') ?? ''} (${String(e.timeZone ?? '')})`;
    case 'tier':
      return `heat rose from ${Number(e.heatBefore).toFixed(1)} to ${Number(e.heatAfter).toFixed(1)}: now ${String(e.tier)}`;
    case 'form':
      return `submitted the form ${String(e.formId)}`;
    case 'buying_group':
      return `${((e.roles as string[] | undefined) ?? []).join(', ')} of ${companyName ?? job.company ?? 'one company'} engaged within the window of rule ${job.rule}`;
    case 'quiet':
      return `no activity for ${String(e.quietDays)} days`;
    case 'stage':
      return `the analysts' snapshot moved ${job.lead.startsWith('c:') ? (companyName ?? job.company ?? 'the company') : 'this lead'} from ${String(e.from)} to ${String(e.to)}${e.abcClass ? ` (class ${String(e.abcClass)})` : ''}`;
    default:
      return `rule ${job.rule} fired`;
  }
}

/** The coverage sentence of a company's buying group, or undefined for a company without members with roles. */
async function coverageOf(deps: { redis: Redis; namespace: string; rules: Rules }, companyId: string, now: number): Promise<string | undefined> {
  const company = await readCompany(deps.redis, deps.namespace, companyId);
  const members = await Promise.all(company.members.slice(0, 50).map((m) => readPortrait(deps.redis, deps.namespace, m, deps.rules, now)));
  if (!members.some((m) => m.role)) return undefined;
  return coverageSentence(buyingGroupCoverage(members.map((m) => ({ lead: m.lead, role: m.role?.role, lastSeen: m.lastSeen })), buyingGroupWindowMs(deps.rules), now));
}

/**
 * Who, why and what now, for one job: the lead's portrait as it stands (name, title, role, grade, tier, company),
 * the rule's evidence, the heat before and after, the latest ledger lines, and a link when configured.
 */
export async function composeMessage(job: HotLeadJob & { id: string }, deps: { redis: Redis; namespace: string; rules: Rules; leadUrl?: string | undefined; now?: number }): Promise<AlertMessage> {
  const now = deps.now ?? Date.now();
  let lead: AlertMessage['lead'];
  let ledger: AlertMessage['why']['ledger'] = [];
  if (job.lead.startsWith('c:')) {
    const company = companyOf(await readCompany(deps.redis, deps.namespace, job.lead.slice(2)));
    lead = { id: job.lead, ...(company?.name ? { name: company.name } : {}), ...(company ? { company } : {}) };
  } else {
    const p = await readPortrait(deps.redis, deps.namespace, job.lead, deps.rules, now);
    const traits = (await readTraitValues(deps.redis, deps.namespace, [job.lead]))[job.lead] ?? {};
    const trait = (name: string) => traits[name];
    const name = text(trait('name')) ?? ([trait('first_name'), trait('last_name')].filter((x) => typeof x === 'string').join(' ') || undefined);
    const company = companyOf(p.company);
    lead = {
      id: job.lead,
      ...(name ? { name } : {}),
      ...(text(trait('email')) ? { email: text(trait('email')) } : {}),
      ...(text(trait('title')) ? { title: text(trait('title')) } : {}),
      ...(p.role ? { role: p.role.role } : {}),
      grade: p.grade,
      tier: p.tier,
      heat: Math.round(p.heat * 10) / 10,
      ...(company ? { company } : {}),
    };
    ledger = (await readLedger(deps.redis, deps.namespace, job.lead, 5)).slice(-5).map((l) => ({ rule: l.ruleId, weight: l.weight, at: new Date(l.at).toISOString() }));
  }
  const e = job.evidence;
  // The buying group's coverage, for the lead's company or the company itself: which roles are engaged, which are not.
  const companyId = job.lead.startsWith('c:') ? job.lead.slice(2) : lead.company?.id;
  const coverage = companyId ? await coverageOf(deps, companyId, now) : undefined;
  return alertMessageSchema.parse({
    idempotencyKey: job.id,
    firedAt: new Date(job.firedAt).toISOString(),
    lead,
    rule: { id: job.rule, kind: job.kind, action: job.action },
    why: {
      summary: coverage ? `${summaryOf(job, lead.company?.name)}. Buying group: ${coverage}` : summaryOf(job, lead.company?.name),
      evidence: e,
      ...(typeof e.heatBefore === 'number' ? { heatBefore: e.heatBefore } : {}),
      ...(typeof e.heatAfter === 'number' ? { heatAfter: e.heatAfter } : {}),
      ...(ledger.length > 0 ? { ledger } : {}),
    },
    ...(deps.leadUrl ? { link: deps.leadUrl.replace('{lead}', encodeURIComponent(job.lead)) } : {}),
  });
}
