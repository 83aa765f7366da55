import {
  CHINESE_COMPANIES,
  CHINESE_GIVEN,
  CHINESE_SURNAMES,
  INDUSTRIES,
  REGIONS,
  SALES_REPS,
  TITLES,
  USER_AGENTS,
  WESTERN_COMPANIES,
  WESTERN_NAMES,
  type BuyingRole,
} from './catalog.ts';
import type { Rng } from './random.ts';
import type { Company, Person } from './traffic.ts';

/** Who exists: companies with their buying groups, and people outside any account. */

export function makeCompanies(rng: Rng, count: number): Company[] {
  const used = new Map<string, number>();
  const companies: Company[] = [];
  for (let i = 0; i < count; i++) {
    const industry = INDUSTRIES[i % INDUSTRIES.length] ?? 'software';
    const chinese = rng.chance(0.25);
    let [name, slug] = rng.pick((chinese ? CHINESE_COMPANIES : WESTERN_COMPANIES)[industry]);
    // More companies than names: number the repeats so ids and domains stay unique.
    const n = (used.get(slug) ?? 0) + 1;
    used.set(slug, n);
    if (n > 1) {
      name = `${name} ${n}`;
      slug = `${slug}-${n}`;
    }
    const employees = rng.weighted([
      [rng.int(12, 49), 3],
      [rng.int(50, 199), 4],
      [rng.int(200, 999), 3],
      [rng.int(1000, 12000), 2],
    ] as const);
    companies.push({
      name,
      domain: chinese ? `${slug}.cn.example` : `${slug}.example`,
      groupId: `acct_${slug}`,
      industry,
      employees,
      region: chinese ? 'China' : rng.pick(REGIONS),
      owner: SALES_REPS[i % SALES_REPS.length] ?? SALES_REPS[0],
      chinese,
    });
  }
  return companies;
}

export class People {
  private readonly emails = new Set<string>();

  constructor(private readonly rng: Rng) {}

  /** A fresh person; the email is unique across the run so every `e:` profile is one person. */
  make(opts: { company?: Company; role?: BuyingRole; domain: string; chinese: boolean; userId: boolean }): Person {
    const { rng } = this;
    let name: string;
    let local: string;
    if (opts.chinese) {
      const [sz, sp] = rng.pick(CHINESE_SURNAMES);
      const [gz, gp] = rng.pick(CHINESE_GIVEN);
      name = sz + gz;
      local = `${gp}.${sp}`;
    } else {
      const first = rng.pick(WESTERN_NAMES.first);
      const last = rng.pick(WESTERN_NAMES.last);
      name = `${first} ${last}`;
      local = `${first}.${last}`.toLowerCase();
    }
    let email = `${local}@${opts.domain}`;
    for (let n = 2; this.emails.has(email); n++) email = `${local}${n}@${opts.domain}`;
    this.emails.add(email);

    const role = opts.role;
    const titles = TITLES[role ?? rng.pick(['UB', 'TB'] as const)];
    const title = opts.chinese && rng.chance(0.6) ? rng.pick(titles.zh) : rng.pick(titles.en);
    const ipBlock = rng.chance(0.5) ? '198.51.100' : '203.0.113';
    return {
      ...(opts.userId ? { userId: `usr_${rng.hex(10)}` } : {}),
      anonymousId: rng.uuid(),
      email,
      name,
      title,
      ...(role !== undefined ? { role } : {}),
      ...(role === 'EB' ? { budget: rng.pick([50_000, 80_000, 120_000, 250_000, 500_000]) } : {}),
      ...(opts.company !== undefined ? { company: opts.company } : {}),
      userAgent: rng.pick(USER_AGENTS),
      ip: `${ipBlock}.${rng.int(1, 254)}`,
      locale: opts.chinese ? 'zh-CN' : rng.pick(['en-US', 'en-GB', 'de-DE', 'en-US']),
      timezone: opts.chinese ? 'Asia/Shanghai' : rng.pick(['America/New_York', 'America/Chicago', 'Europe/London', 'Europe/Berlin', 'America/Sao_Paulo']),
      identifiedAt: Infinity,
    };
  }

  buyingGroup(company: Company): Person[] {
    const roles: BuyingRole[] = ['EB', 'UB', 'TB'];
    if (this.rng.chance(0.4)) roles.push('Coach');
    return roles.map((role) => this.make({ company, role, domain: company.domain, chinese: company.chinese, userId: true }));
  }
}
