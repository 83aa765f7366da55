/**
 * The fixed vocabulary the simulator draws from. Domains use the reserved `.example` TLD and IPs the documentation
 * ranges (RFC 5737), so simulated traffic can never be mistaken for, or reach, a real party.
 */

export const SITE = 'https://www.leadscore.example';

export const INDUSTRIES = ['software', 'manufacturing', 'financial services', 'retail', 'healthcare'] as const;
export type Industry = (typeof INDUSTRIES)[number];

export const REGIONS = ['North America', 'EMEA', 'APAC', 'LATAM'] as const;

/** [display name, domain slug]. */
export const WESTERN_COMPANIES: Record<Industry, readonly (readonly [string, string])[]> = {
  software: [['Brightloop Software', 'brightloop'], ['Nimbus Stack', 'nimbusstack'], ['Quarry Labs', 'quarrylabs'], ['Tessel Data', 'tesseldata']],
  manufacturing: [['Northwind Machining', 'northwind-mfg'], ['Ironbridge Components', 'ironbridge'], ['Keystone Plastics', 'keystoneplastics'], ['Halvorsen Tools', 'halvorsen']],
  'financial services': [['Meridian Capital', 'meridiancap'], ['Harbor Mutual', 'harbormutual'], ['Crestline Payments', 'crestlinepay'], ['Ledgerwise', 'ledgerwise']],
  retail: [['Fabrikam Outfitters', 'fabrikam'], ['Cedar & Pine Home', 'cedarpine'], ['Urban Pantry', 'urbanpantry'], ['Lumen Optics Retail', 'lumenoptics']],
  healthcare: [['Riverside Clinics', 'riverside-clinics'], ['Amberline Health', 'amberline'], ['Carewell Labs', 'carewell'], ['Vitalis Diagnostics', 'vitalis']],
};

/** Chinese registered names with a pinyin domain, as mainland companies usually have. */
export const CHINESE_COMPANIES: Record<Industry, readonly (readonly [string, string])[]> = {
  software: [['杭州云帆科技有限公司', 'yunfan-tech'], ['深圳数联软件有限公司', 'shulian-soft']],
  manufacturing: [['苏州精工机械有限公司', 'jinggong-jx'], ['宁波华泰模具有限公司', 'huatai-mould']],
  'financial services': [['上海恒信金融服务有限公司', 'hengxin-fin'], ['北京汇通支付有限公司', 'huitong-pay']],
  retail: [['广州优品零售有限公司', 'youpin-retail'], ['成都悦家商贸有限公司', 'yuejia-shop']],
  healthcare: [['南京康宁医疗科技有限公司', 'kangning-med'], ['武汉仁和健康管理有限公司', 'renhe-health']],
};

export const SALES_REPS = ['alice.chen@leadscore.example', 'marcus.reed@leadscore.example', 'priya.nair@leadscore.example'] as const;

/** [first, last]. */
export const WESTERN_NAMES = {
  first: ['Emma', 'Liam', 'Olivia', 'Noah', 'Sophia', 'Lucas', 'Mia', 'Ethan', 'Hannah', 'Mateo', 'Chloe', 'Jonas', 'Amara', 'Ravi', 'Ingrid', 'Diego'],
  last: ['Walker', 'Schmidt', 'Okafor', 'Moreau', 'Larsen', 'Rossi', 'Patel', 'Kowalski', 'Silva', 'Bennett', 'Nakamura', 'Fischer'],
} as const;

/** [汉字, pinyin] so the display name is Chinese but the email local part is ASCII, as in practice. */
export const CHINESE_SURNAMES = [['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'], ['赵', 'zhao'], ['周', 'zhou']] as const;
export const CHINESE_GIVEN = [['伟', 'wei'], ['娜', 'na'], ['敏', 'min'], ['静', 'jing'], ['磊', 'lei'], ['洋', 'yang'], ['婷', 'ting'], ['军', 'jun'], ['晓明', 'xiaoming'], ['雪', 'xue']] as const;

export type BuyingRole = 'EB' | 'UB' | 'TB' | 'Coach';

/** Titles per role, worded so the default role rules (title regexes) recognise them. */
export const TITLES: Record<BuyingRole, { en: readonly string[]; zh: readonly string[] }> = {
  EB: { en: ['CEO', 'VP of Sales', 'VP Marketing', 'Director of Operations', 'Head of Revenue'], zh: ['总经理', '销售总监', '市场总监'] },
  UB: { en: ['Marketing Analyst', 'Sales Operations Specialist', 'Revenue Operations Coordinator', 'Growth Marketer'], zh: ['运营专员', '市场专员'] },
  TB: { en: ['CTO', 'Software Engineer', 'Solutions Architect', 'IT Manager', 'DevOps Engineer'], zh: ['技术总监', '软件工程师', '系统架构师'] },
  Coach: { en: ['Sales Manager', 'Marketing Manager', 'Project Manager'], zh: ['项目经理', '销售经理'] },
};

export interface SitePage {
  path: string;
  title: string;
}

export const PRICING: SitePage = { path: '/pricing', title: 'Pricing – LeadScore' };

/** Pages other than pricing, weighted by how often B2B visitors land on them. */
export const PAGES: readonly (readonly [SitePage, number])[] = [
  [{ path: '/', title: 'LeadScore – Behavioral lead scoring for B2B' }, 30],
  [{ path: '/product', title: 'Product – LeadScore' }, 12],
  [{ path: '/integrations', title: 'Integrations – LeadScore' }, 6],
  [{ path: '/docs/getting-started', title: 'Getting started – LeadScore Docs' }, 8],
  [{ path: '/docs/tracking/segment', title: 'Sending Segment events – LeadScore Docs' }, 5],
  [{ path: '/docs/scoring/rules', title: 'Scoring rules – LeadScore Docs' }, 5],
  [{ path: '/docs/security', title: 'Security and compliance – LeadScore Docs' }, 3],
  [{ path: '/case-studies/northwind-manufacturing', title: 'How Northwind doubled pipeline – LeadScore' }, 4],
  [{ path: '/case-studies/harbor-mutual', title: 'Harbor Mutual: faster follow-up – LeadScore' }, 3],
  [{ path: '/case-studies/urban-pantry', title: 'Urban Pantry: retail intent signals – LeadScore' }, 3],
  [{ path: '/blog/lead-scoring-101', title: 'Lead scoring 101 – LeadScore Blog' }, 6],
  [{ path: '/blog/buying-groups', title: 'Selling to buying groups – LeadScore Blog' }, 4],
  [{ path: '/blog/intent-signals', title: 'Which intent signals matter – LeadScore Blog' }, 4],
  [{ path: '/about', title: 'About us – LeadScore' }, 2],
];

/** Where a non-hot lead's extra pricing view is moved to, so the page count stays the same. */
export const PRICING_SUBSTITUTE: SitePage = { path: '/docs/getting-started', title: 'Getting started – LeadScore Docs' };

export const CAREERS: SitePage = { path: '/careers', title: 'Careers – LeadScore' };
export const DEMO_PAGE: SitePage = { path: '/demo', title: 'Request a demo – LeadScore' };
export const NEWSLETTER_PAGE: SitePage = { path: '/blog/subscribe', title: 'Subscribe – LeadScore Blog' };

export interface Referral {
  referrer: string;
  campaign?: { name: string; source: string; medium: string; term?: string; content?: string };
}

export const REFERRALS: readonly (readonly [Referral, number])[] = [
  [{ referrer: '' }, 25],
  [{ referrer: 'https://www.google.com/' }, 30],
  [{ referrer: 'https://www.bing.com/' }, 5],
  [{ referrer: 'https://www.linkedin.com/' }, 10],
  [{ referrer: 'https://www.google.com/', campaign: { name: 'b2b-lead-scoring', source: 'google', medium: 'cpc', term: 'lead scoring software' } }, 10],
  [{ referrer: 'https://www.linkedin.com/', campaign: { name: 'buying-groups-ebook', source: 'linkedin', medium: 'paid_social', content: 'carousel-a' } }, 6],
  [{ referrer: 'https://news.ycombinator.com/' }, 3],
];

/** Mainland visitors mostly arrive through Baidu or WeChat rather than Google. */
export const CHINA_REFERRALS: readonly (readonly [Referral, number])[] = [
  [{ referrer: '' }, 25],
  [{ referrer: 'https://www.baidu.com/' }, 35],
  [{ referrer: 'https://mp.weixin.qq.com/' }, 15],
  [{ referrer: 'https://www.baidu.com/', campaign: { name: 'cn-lead-scoring', source: 'baidu', medium: 'cpc', term: '线索评分' } }, 10],
];

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
];

export const EMAIL_CAMPAIGNS = [
  { id: 'cmp_webinar_scoring', name: 'Webinar: scoring that sales trusts', subject: 'Join us: lead scoring that sales actually trusts' },
  { id: 'cmp_newsletter_monthly', name: 'Monthly newsletter', subject: 'This month in B2B intent data' },
  { id: 'cmp_case_study_mfg', name: 'Case study: manufacturing', subject: 'How Northwind doubled qualified pipeline' },
  { id: 'cmp_pricing_update', name: 'Pricing update', subject: 'New team plans, same per-seat price' },
] as const;

export const PRODUCTS = [
  { product_id: 'plan-team', sku: 'LS-TEAM-Y', name: 'Team plan (annual)', category: 'subscription', usd: 6_000 },
  { product_id: 'plan-growth', sku: 'LS-GROWTH-Y', name: 'Growth plan (annual)', category: 'subscription', usd: 18_000 },
  { product_id: 'addon-seats', sku: 'LS-SEAT-10', name: '10 extra seats', category: 'add-on', usd: 2_400 },
  { product_id: 'svc-onboarding', sku: 'LS-ONB', name: 'Guided onboarding', category: 'services', usd: 3_500 },
] as const;

export const ENTERPRISE_PRODUCT = { product_id: 'plan-enterprise', sku: 'LS-ENT-Y', name: 'Enterprise plan (annual)', category: 'subscription' } as const;

export const TIMELINES = ['this quarter', '0-3 months', '3-6 months', '6-12 months', 'just researching'] as const;
export const TIMELINES_ZH = ['本季度', '本月', '半年内'] as const;
