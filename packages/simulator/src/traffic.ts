import { SITE, type BuyingRole, type Referral, type SitePage } from './catalog.ts';
import type { Rng } from './random.ts';
import type { Campaign, MessageContext, PageMessage, SegmentMessage } from './types.ts';

/**
 * Turns "this person did X at time t" into the envelope each source really sends: the browser (analytics.js) sends
 * anonymousId always and userId once known; the email tool and the billing backend know only the userId.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface Company {
  name: string;
  domain: string;
  groupId: string;
  industry: string;
  employees: number;
  region: string;
  owner: string;
  chinese: boolean;
}

export interface Person {
  /** Absent for leads that never identify (anonymous visitors, some cold leads). */
  userId?: string;
  anonymousId: string;
  email: string;
  name: string;
  title: string;
  role?: BuyingRole;
  budget?: number;
  company?: Company;
  userAgent: string;
  ip: string;
  locale: string;
  timezone: string;
  /** Browser calls from this moment on carry the userId; Infinity for never. */
  identifiedAt: number;
}

interface Stamped {
  at: number;
  seq: number;
  person: Person;
  message: SegmentMessage;
}

export class Traffic {
  private readonly stamped: Stamped[] = [];

  constructor(
    readonly rng: Rng,
    readonly now: number,
  ) {}

  private push(person: Person, at: number, message: SegmentMessage): void {
    this.stamped.push({ at, seq: this.stamped.length, person, message });
  }

  /** Times are clamped rather than trusted: a session that runs past `now` must not produce future events. */
  private stamp(at: number): string {
    return new Date(Math.min(Math.round(at), this.now)).toISOString();
  }

  private browserIdentity(person: Person, at: number): { anonymousId: string; userId?: string } {
    return person.userId !== undefined && at >= person.identifiedAt ? { anonymousId: person.anonymousId, userId: person.userId } : { anonymousId: person.anonymousId };
  }

  private groupOf(person: Person, at: number): { groupId?: string } {
    // Only once identified: before that the site cannot know which account a visitor belongs to.
    return person.company !== undefined && person.userId !== undefined && at >= person.identifiedAt ? { groupId: person.company.groupId } : {};
  }

  private browserContext(person: Person, at: number, page: SitePage, referrer: string, campaign?: Campaign): MessageContext {
    return {
      page: pageInfo(page, referrer, campaign),
      userAgent: person.userAgent,
      ip: person.ip,
      ...(campaign !== undefined ? { campaign } : {}),
      ...this.groupOf(person, at),
      library: { name: 'analytics.js', version: '2.11.1' },
      locale: person.locale,
      timezone: person.timezone,
    };
  }

  pageView(person: Person, at: number, page: SitePage, referrer: string, campaign?: Campaign): void {
    const context = this.browserContext(person, at, page, referrer, campaign);
    const info = context.page;
    this.push(person, at, {
      type: 'page',
      messageId: this.rng.uuid(),
      ...this.browserIdentity(person, at),
      timestamp: this.stamp(at),
      name: page.title,
      properties: { ...info },
      context,
    });
  }

  /** A visit: pages a few seconds to minutes apart, the first one carrying the referral. Returns when it ended. */
  session(person: Person, start: number, pages: readonly SitePage[], referral: Referral): number {
    let at = start;
    let referrer = referral.referrer;
    pages.forEach((page, i) => {
      if (i > 0) at += this.rng.between(20_000, 4 * MINUTE);
      this.pageView(person, at, page, referrer, i === 0 ? referral.campaign : undefined);
      referrer = SITE + page.path;
    });
    return at;
  }

  formSubmitted(person: Person, at: number, page: SitePage, properties: Record<string, unknown>): void {
    this.push(person, at, {
      type: 'track',
      messageId: this.rng.uuid(),
      ...this.browserIdentity(person, at),
      timestamp: this.stamp(at),
      event: 'Form Submitted',
      properties,
      context: this.browserContext(person, at, page, SITE + '/'),
    });
  }

  identify(person: Person, at: number, page: SitePage): void {
    if (person.userId === undefined) throw new Error('identify needs a userId');
    const traits: Record<string, unknown> = { email: person.email, name: person.name, title: person.title };
    if (person.company !== undefined) {
      traits['company'] = { name: person.company.name, id: person.company.groupId };
      traits['industry'] = person.company.industry;
    }
    if (person.budget !== undefined) traits['budget'] = person.budget;
    // Only coaches are tagged by sales: the role cannot be read from a title.
    if (person.role === 'Coach') traits['buying_role'] = 'Coach';
    this.push(person, at, {
      type: 'identify',
      messageId: this.rng.uuid(),
      anonymousId: person.anonymousId,
      userId: person.userId,
      timestamp: this.stamp(at),
      traits,
      context: this.browserContext(person, at, page, SITE + '/'),
    });
  }

  group(person: Person, at: number, page: SitePage): void {
    const company = person.company;
    if (company === undefined || person.userId === undefined) return;
    this.push(person, at, {
      type: 'group',
      messageId: this.rng.uuid(),
      anonymousId: person.anonymousId,
      userId: person.userId,
      timestamp: this.stamp(at),
      groupId: company.groupId,
      traits: {
        name: company.name,
        website: `https://www.${company.domain}`,
        industry: company.industry,
        employees: company.employees,
        region: company.region,
        owner: company.owner,
      },
      context: this.browserContext(person, at, page, SITE + '/'),
    });
  }

  /** Sent by the email tool's webhook, not a browser: no page, no anonymousId. */
  email(person: Person, at: number, event: 'Email Opened' | 'Email Link Clicked', properties: Record<string, unknown>): void {
    if (person.userId === undefined) throw new Error('email events need a userId');
    this.push(person, at, {
      type: 'track',
      messageId: this.rng.uuid(),
      userId: person.userId,
      timestamp: this.stamp(at),
      event,
      properties,
      context: { ...this.groupOf(person, at), library: { name: 'mailer-webhooks', version: '1.4.0' } },
    });
  }

  /** Sent by the billing backend through a server SDK. */
  order(person: Person, at: number, properties: Record<string, unknown>): void {
    if (person.userId === undefined) throw new Error('orders need a userId');
    this.push(person, at, {
      type: 'track',
      messageId: this.rng.uuid(),
      userId: person.userId,
      timestamp: this.stamp(at),
      event: 'Order Completed',
      properties,
      context: { ...this.groupOf(person, at), library: { name: 'analytics-node', version: '2.1.2' } },
    });
  }

  /**
   * Moves pricing views of everyone not in `hot` to another page wherever 3 consecutive days could form: any
   * pricing views of a person closer than 72 h must lie within 24 h of each other, which spans at most 2 calendar
   * days in any time zone — so no pricing streak can appear whatever TIME_ZONE the pipeline counts days in.
   */
  breakStreaks(hot: ReadonlySet<Person>, substitute: SitePage): void {
    const pricing = new Map<Person, Stamped[]>();
    for (const s of this.stamped) {
      if (hot.has(s.person) || s.message.type !== 'page' || s.message.context.page?.path !== '/pricing') continue;
      const list = pricing.get(s.person) ?? [];
      list.push(s);
      pricing.set(s.person, list);
    }
    for (const list of pricing.values()) {
      list.sort((a, b) => a.at - b.at);
      const kept: number[] = [];
      for (const s of list) {
        if (kept.every((k) => s.at - k >= 72 * HOUR || s.at - k < 24 * HOUR)) kept.push(s.at);
        else retarget(s.message as PageMessage, substitute);
      }
    }
  }

  /** Messages in timestamp order, ties in the order they happened. */
  messages(): SegmentMessage[] {
    return [...this.stamped].sort((a, b) => a.at - b.at || a.seq - b.seq).map((s) => s.message);
  }
}

function pageInfo(page: SitePage, referrer: string, campaign?: Campaign) {
  const search =
    campaign === undefined
      ? ''
      : '?' +
        Object.entries({ utm_source: campaign.source, utm_medium: campaign.medium, utm_campaign: campaign.name, utm_term: campaign.term, utm_content: campaign.content })
          .filter((e): e is [string, string] => e[1] !== undefined)
          .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          .join('&');
  return { url: SITE + page.path + search, path: page.path, referrer, title: page.title, search };
}

function retarget(message: PageMessage, page: SitePage): void {
  const old = message.context.page;
  const info = { ...pageInfo(page, old?.referrer ?? ''), search: old?.search ?? '' };
  info.url = SITE + page.path + info.search;
  message.context.page = info;
  message.name = page.title;
  message.properties = { ...info };
}
