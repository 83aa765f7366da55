import type { AlertMessage, LeadRole, LedgerLine } from './message.ts';

/**
 * The words of an alert, independent of any channel: every format (text, markdown, Slack, Feishu, email) is laid
 * out from these facts, so the channels never disagree on what an alert says. Strings here are raw (unescaped);
 * each format escapes for its own markup.
 */
export interface AlertFacts {
  /** "hot lead", or "lead" when the tier is not known: the tag of an email subject. */
  readonly tag: string;
  /** "Ann Lee (CTO, Acme)". */
  readonly who: string;
  /** "Hot lead: Ann Lee (CTO, Acme)". */
  readonly title: string;
  /** "Ann Lee (ann@acme.example), CTO, economic buyer". */
  readonly person: string;
  /** "Acme: software, 201-500 employees, Beijing; account owner Wang Wei". */
  readonly company?: string;
  /** "grade A, heat 87 (hot)". */
  readonly score?: string;
  readonly summary: string;
  /** The evidence, the heat change and the top ledger lines, each one short line. */
  readonly points: readonly string[];
  readonly action: string;
  readonly link?: string;
  /** "rule pricing-streak (streak), fired 2026-11-25 01:30 UTC". */
  readonly footer: string;
}

export interface RenderedText {
  readonly title: string;
  readonly lines: readonly string[];
}

const ROLE_WORDS: Record<LeadRole, string> = { EB: 'economic buyer', UB: 'user buyer', TB: 'technical buyer', Coach: 'coach' };

/** Ledger lines shown: enough to explain a jump in heat, few enough to read on a phone. */
const LEDGER_SHOWN = 3;
/** A runaway evidence value (a long list of members) must not swamp the message. */
const VALUE_MAX = 300;

/** Values come from CRM and tracking data: a newline in a name must not start a line (or a header) of its own. */
export function oneLine(s: string): string {
  return s.replace(/[\s\u0085\u2028\u2029]+/gu, ' ').trim();
}

/** Cuts at a code point, never inside a surrogate pair, so CJK and emoji survive. */
export function truncateChars(s: string, max: number, ellipsis = '…'): string {
  const points = Array.from(s);
  if (points.length <= max) return s;
  return points.slice(0, Math.max(0, max - Array.from(ellipsis).length)).join('') + ellipsis;
}

/**
 * At most `maxBytes` bytes of UTF-8, cut on a code point boundary (a cut inside a multi-byte sequence would make the
 * receiver reject or garble the whole message), with the ellipsis inside the budget.
 */
export function truncateUtf8(s: string, maxBytes: number, ellipsis = '…'): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const budget = maxBytes - Buffer.byteLength(ellipsis, 'utf8');
  let used = 0;
  let out = '';
  for (const ch of s) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > budget) break;
    used += size;
    out += ch;
  }
  return budget < 0 ? '' : out + ellipsis;
}

/** "2026-11-25 01:30 UTC": one zone for every reader, said out loud. */
export function formatUtc(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return oneLine(iso);
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatHeat(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function formatWeight(n: number): string {
  return `${n >= 0 ? '+' : '−'}${formatHeat(Math.abs(n))}`;
}

/** "2026-11-23, 11-24, 11-25": the year once, as people write a run of days. */
export function compactDays(days: readonly string[]): string {
  let year: string | undefined;
  return days
    .map((d) => {
      const m = /^(\d{4})-(\d{2}-\d{2})$/.exec(d);
      if (!m) return oneLine(d);
      const same = m[1] === year;
      year = m[1];
      return same ? (m[2] as string) : d;
    })
    .join(', ');
}

function words(key: string): string {
  return key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function readable(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string') return oneLine(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.map(readable).join(', ');
  return oneLine(JSON.stringify(value) ?? String(value));
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isRole = (v: unknown): v is LeadRole => typeof v === 'string' && v in ROLE_WORDS;
const roleWords = (v: unknown): string => (isRole(v) ? ROLE_WORDS[v] : readable(v));

/**
 * The evidence of each rule kind as scoring produces it (packages/scoring alerts.ts), in words. A key is taken only
 * when it has the expected type; whatever is left (new fields, other producers) is still shown, as "key: value".
 */
function evidencePoints(kind: AlertMessage['rule']['kind'], evidence: Record<string, unknown>): string[] {
  const rest: Record<string, unknown> = { ...evidence };
  const take = <T>(key: string, is: (v: unknown) => v is T): T | undefined => {
    const v = rest[key];
    if (!is(v)) return undefined;
    delete rest[key];
    return v;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const out: string[] = [];

  if (kind === 'streak') {
    const days = take('days', isStringArray);
    if (days && days.length > 0) {
      const page = take('page', isString);
      const zone = take('timeZone', isString);
      const run = take('consecutiveDays', isNumber);
      const needed = take('needed', isNumber);
      let line = `${page ? oneLine(page) : 'activity'} on ${compactDays(days)}${zone ? ` (${oneLine(zone)})` : ''}`;
      if (run !== undefined) line += `: ${run} days in a row${needed !== undefined ? ` (the rule needs ${needed})` : ''}`;
      out.push(line);
    }
  } else if (kind === 'tier') {
    // The heat numbers go to the heat line (see alertFacts); here only the crossing.
    const before = take('tierBefore', isString);
    const after = take('tier', isString);
    if (after) out.push(before ? `crossed from ${oneLine(before)} into ${oneLine(after)}` : `now ${oneLine(after)}`);
  } else if (kind === 'form') {
    const formId = take('formId', (v): v is string | number => isString(v) || isNumber(v));
    const at = take('submittedAt', isString);
    if (formId !== undefined) out.push(`submitted form "${oneLine(String(formId))}"${at ? ` at ${formatUtc(at)}` : ''}`);
  } else if (kind === 'buying_group') {
    const roles = take('roles', isStringArray);
    if (roles) out.push(`roles engaged: ${roles.map(roleWords).join(', ')}`);
    type Member = { lead?: unknown; role?: unknown; at?: unknown };
    const members = take('members', (v): v is Member[] => Array.isArray(v) && v.every((m) => typeof m === 'object' && m !== null));
    if (members && members.length > 0) {
      const each = members.map((m) => {
        const role = m.role === undefined ? '' : ` (${roleWords(m.role)})`;
        const at = typeof m.at === 'string' ? ` on ${formatUtc(m.at)}` : '';
        return `lead ${readable(m.lead)}${role}${at}`;
      });
      out.push(truncateChars(`members: ${each.join('; ')}`, VALUE_MAX));
    }
  } else if (kind === 'digest') {
    // One line per alert of the digest; their keys are for receivers, not for people.
    for (const line of take('alerts', isStringArray) ?? []) out.push(truncateChars(oneLine(line), VALUE_MAX));
    take('idempotencyKeys', isStringArray);
  } else if (kind === 'stage') {
    const from = take('from', isString);
    const to = take('to', isString);
    const abc = take('abcClass', isString);
    const segment = take('segment', isString);
    const snapshot = take('snapshot', isString);
    if (to) out.push(`lifecycle stage ${from ? `${oneLine(from)} → ` : ''}${oneLine(to)}${abc ? `, class ${oneLine(abc)}` : ''}${segment ? `, segment ${oneLine(segment)}` : ''}${snapshot ? ` (snapshot of ${formatUtc(snapshot)})` : ''}`);
  } else if (kind === 'quiet') {
    const since = take('lastActiveAt', isString);
    if (since) out.push(`no counted activity since ${formatUtc(since)}`);
  }
  if (kind === 'tier') {
    // Consumed by the heat line when present, so they are not said twice.
    take('heatBefore', isNumber);
    take('heatAfter', isNumber);
  }
  for (const [key, value] of Object.entries(rest)) out.push(truncateChars(`${words(key)}: ${readable(value)}`, VALUE_MAX));
  return out;
}

/** The lines that moved the score most, the largest first; the latest first among equals. */
function topLedger(ledger: readonly LedgerLine[]): string | undefined {
  if (ledger.length === 0) return undefined;
  const sorted = [...ledger].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || Date.parse(b.at) - Date.parse(a.at));
  const shown = sorted.slice(0, LEDGER_SHOWN).map((l) => `${formatWeight(l.weight)} ${oneLine(l.rule)} (${formatUtc(l.at)})`);
  const more = ledger.length - shown.length;
  return `score ledger: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

function sizeWords(size: string | number): string {
  if (typeof size === 'number') return `${size} employees`;
  const s = oneLine(size);
  // A bare number or band ("201-500", "1000+") reads as a headcount; anything else ("enterprise") as it is.
  return /^[\d,.\s–-]+\+?$/.test(s) ? `${s} employees` : s;
}

export function alertFacts(message: AlertMessage): AlertFacts {
  const { lead, rule, why } = message;
  const name = oneLine(lead.name ?? '') || oneLine(lead.email ?? '') || `lead ${oneLine(lead.id)}`;
  const companyName = lead.company ? oneLine(lead.company.name ?? '') || `company ${oneLine(lead.company.id)}` : undefined;
  const jobTitle = lead.title ? oneLine(lead.title) : '';

  const inParens = [jobTitle, companyName ?? ''].filter((s) => s !== '');
  const who = inParens.length > 0 ? `${name} (${inParens.join(', ')})` : name;
  const tag = lead.tier ? `${lead.tier} lead` : 'lead';
  const title = `${tag.charAt(0).toUpperCase()}${tag.slice(1)}: ${who}`;

  const email = lead.email && lead.name ? ` (${oneLine(lead.email)})` : '';
  const person = [`${name}${email}`, jobTitle, lead.role ? ROLE_WORDS[lead.role] : ''].filter((s) => s !== '').join(', ');

  let company: string | undefined;
  if (lead.company && companyName) {
    const c = lead.company;
    const details = [c.industry ? oneLine(c.industry) : '', c.size !== undefined ? sizeWords(c.size) : '', c.region ? oneLine(c.region) : ''].filter((s) => s !== '');
    company = `${companyName}${details.length > 0 ? `: ${details.join(', ')}` : ''}${c.owner ? `; account owner ${oneLine(c.owner)}` : ''}`;
  }

  const scoreParts = [lead.grade ? `grade ${lead.grade}` : '', lead.heat !== undefined ? `heat ${formatHeat(lead.heat)}` : ''].filter((s) => s !== '');
  let score = scoreParts.join(', ');
  if (lead.tier) score = score ? `${score} (${lead.tier})` : lead.tier;

  const points = evidencePoints(rule.kind, why.evidence);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const before = why.heatBefore ?? (rule.kind === 'tier' ? num(why.evidence.heatBefore) : undefined);
  const after = why.heatAfter ?? (rule.kind === 'tier' ? num(why.evidence.heatAfter) : undefined);
  if (before !== undefined && after !== undefined) points.push(`heat ${formatHeat(before)} → ${formatHeat(after)}`);
  else if (after !== undefined) points.push(`heat now ${formatHeat(after)}`);
  const ledger = topLedger(why.ledger ?? []);
  if (ledger) points.push(ledger);

  return {
    tag,
    who,
    title,
    person,
    ...(company ? { company } : {}),
    ...(score ? { score } : {}),
    summary: oneLine(why.summary),
    points,
    action: oneLine(rule.action),
    ...(message.link ? { link: message.link } : {}),
    footer: `rule ${oneLine(rule.id)} (${rule.kind.replace('_', ' ')}), fired ${formatUtc(message.firedAt)}`,
  };
}

/** Plain words, one fact a line: WHO, WHY, WHAT NOW, then the link. For SMS-like channels, logs and email text. */
export function renderText(message: AlertMessage): RenderedText {
  const f = alertFacts(message);
  const lines = [
    `Who: ${f.person}`,
    ...(f.company ? [`Company: ${f.company}`] : []),
    ...(f.score ? [`Score: ${f.score}`] : []),
    `Why: ${f.summary}`,
    ...f.points.map((p) => `  - ${p}`),
    `What now: ${f.action}`,
    ...(f.link ? [`Open: ${f.link}`] : []),
    `(${f.footer})`,
  ];
  return { title: f.title, lines };
}

/**
 * Markdown metacharacters are backslash-escaped (CommonMark); `<`, `>` and `&` become entities, because the chat
 * bots read tags in markdown (`<at id=all>` on Feishu, `<@userid>` on WeCom): a lead who names himself so must
 * not ping the whole group.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]]/g, '\\$&');
}

/** Parentheses and spaces would end a markdown link target early. */
export function markdownUrl(url: string): string {
  return url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export interface MarkdownOptions {
  /** Whether to start with a `###` heading of the title; off where the channel shows the title itself (cards). */
  readonly heading?: boolean;
  /** Where the channel's renderer joins single newlines (DingTalk), a blank line between lines. */
  readonly lineBreak?: string;
}

/** The lines of the markdown form, without the heading and the link; chat formats compose them. */
export function markdownBody(f: AlertFacts): { who: string[]; why: string[]; action: string; footer: string } {
  const e = escapeMarkdown;
  return {
    who: [`**Who:** ${e(f.person)}`, ...(f.company ? [`**Company:** ${e(f.company)}`] : []), ...(f.score ? [`**Score:** ${e(f.score)}`] : [])],
    why: [`**Why:** ${e(f.summary)}`, ...f.points.map((p) => `- ${e(p)}`)],
    action: `**What now:** ${e(f.action)}`,
    footer: e(f.footer),
  };
}

export function markdownLink(url: string, label = 'Open the lead in the dashboard'): string {
  return `[${escapeMarkdown(label)}](${markdownUrl(url)})`;
}

/** The alert in markdown for chat bots: the common subset (bold, `-` lists, links, `###`) their renderers share. */
export function renderMarkdown(message: AlertMessage, options: MarkdownOptions = {}): string {
  const f = alertFacts(message);
  const b = markdownBody(f);
  const lines = [
    ...(options.heading === false ? [] : [`### ${escapeMarkdown(f.title)}`]),
    ...b.who,
    ...b.why,
    b.action,
    ...(f.link ? [markdownLink(f.link)] : []),
    b.footer,
  ];
  return lines.join(options.lineBreak ?? '\n');
}
