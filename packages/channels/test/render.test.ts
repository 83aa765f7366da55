import { describe, expect, it } from 'vitest';
import { compactDays, renderMarkdown, renderText, truncateChars, truncateUtf8, type AlertMessage } from '../src/index.ts';
import { goldenMessage, withLead } from './fixture.ts';

const message = goldenMessage();
const textOf = (m: AlertMessage) => renderText(m).lines.join('\n');
const withEvidence = (kind: AlertMessage['rule']['kind'], evidence: Record<string, unknown>, why: Partial<AlertMessage['why']> = {}): AlertMessage => ({
  ...message,
  rule: { ...message.rule, kind },
  why: { summary: 'Something happened.', evidence, ...why },
});

describe('the plain-text alert', () => {
  it('titles it by tier and who', () => {
    expect(renderText(message).title).toBe('Hot lead: Ann Lee (CTO, 北京星河科技)');
  });

  it('says who: name, email, title, buying role', () => {
    expect(renderText(message).lines[0]).toBe('Who: Ann Lee (ann.lee@xinghe.example), CTO, economic buyer');
  });

  it('says the company with industry, size, region and owner', () => {
    expect(textOf(message)).toContain('Company: 北京星河科技: software, 201-500 employees, Beijing; account owner 王伟');
  });

  it('shows the streak days with the year once and the time zone', () => {
    expect(textOf(message)).toContain('pricing page on 2026-11-23, 11-24, 11-25 (Asia/Shanghai)');
  });

  it('shows the heat before and after', () => {
    expect(textOf(message)).toContain('heat 41 → 87.4');
  });

  it('shows the three ledger lines that weigh most and counts the rest', () => {
    expect(textOf(message)).toContain('score ledger: +30 pricing-view (2026-11-25 01:12 UTC); +30 pricing-view (2026-11-24 02:40 UTC); +12 whitepaper-download (2026-11-23 06:03 UTC); and 1 more');
  });

  it('says what to do, then the link', () => {
    const lines = renderText(message).lines;
    expect(lines).toContain('What now: call today');
    expect(lines.indexOf('Open: https://app.leadscore.example/leads/lead-7f3a')).toBeGreaterThan(lines.indexOf('What now: call today'));
  });

  it('names a lead without a name by email, then by id', () => {
    expect(renderText(withLead({ name: undefined })).title).toBe('Hot lead: ann.lee@xinghe.example (CTO, 北京星河科技)');
    expect(renderText(withLead({ name: undefined, email: undefined, title: undefined, company: undefined })).title).toBe('Hot lead: lead lead-7f3a');
  });

  it('keeps a newline in a name from starting a line of its own', () => {
    expect(renderText(withLead({ name: 'Ann\nWhat now: wire money' })).lines[0]).toBe('Who: Ann What now: wire money (ann.lee@xinghe.example), CTO, economic buyer');
  });

  it('passes CJK names through untouched', () => {
    expect(renderText(withLead({ name: '李安娜' })).title).toBe('Hot lead: 李安娜 (CTO, 北京星河科技)');
  });
});

describe('evidence in words, by rule kind', () => {
  it('tier: the crossing, with the heat numbers once', () => {
    const text = textOf(withEvidence('tier', { heatBefore: 40, heatAfter: 72.25, tierBefore: 'warm', tier: 'hot' }));
    expect(text).toContain('crossed from warm into hot');
    expect(text).toContain('heat 40 → 72.3');
    expect(text.match(/72/g)).toHaveLength(1);
  });

  it('form: the form and when it was submitted', () => {
    expect(textOf(withEvidence('form', { formId: 'demo-request', submittedAt: '2026-11-25T09:12:00+08:00' }))).toContain('submitted form "demo-request" at 2026-11-25 01:12 UTC');
  });

  it('buying group: the roles and the members', () => {
    const text = textOf(
      withEvidence('buying_group', {
        roles: ['EB', 'TB'],
        members: [
          { lead: 'l-2', role: 'EB', at: '2026-11-24T08:00:00.000Z' },
          { lead: 'l-3', role: 'TB', at: '2026-11-25T08:00:00.000Z' },
        ],
      }),
    );
    expect(text).toContain('roles engaged: economic buyer, technical buyer');
    expect(text).toContain('members: lead l-2 (economic buyer) on 2026-11-24 08:00 UTC; lead l-3 (technical buyer) on 2026-11-25 08:00 UTC');
  });

  it('quiet: since when', () => {
    expect(textOf(withEvidence('quiet', { lastActiveAt: '2026-10-01T00:00:00Z' }))).toContain('no counted activity since 2026-10-01 00:00 UTC');
  });

  it('shows keys it does not know as words and values', () => {
    expect(textOf(withEvidence('form', { formId: 'f1', utmCampaign: 'spring', pages: ['/a', '/b'], extra: { x: 1 } }))).toMatch(/utm campaign: spring\n.*pages: \/a, \/b\n.*extra: \{"x":1\}/);
  });

  it('shows a known key of an unexpected type as it is, not as a crash', () => {
    expect(textOf(withEvidence('streak', { days: 'yesterday' }))).toContain('days: yesterday');
  });

  it('writes a year again when the days cross into a new one', () => {
    expect(compactDays(['2026-12-31', '2027-01-01', '2027-01-02'])).toBe('2026-12-31, 2027-01-01, 01-02');
  });
});

describe('the markdown alert', () => {
  it('escapes tags so a name cannot mention everyone', () => {
    const md = renderMarkdown(withLead({ name: '<at id=all></at> Ann' }));
    expect(md).not.toContain('<at');
    expect(md).toContain('&lt;at id=all&gt;&lt;/at&gt; Ann');
  });

  it('escapes markdown so a name cannot add a link', () => {
    expect(renderMarkdown(withLead({ name: '[click](https://evil.example)' }))).toContain('\\[click\\](https://evil.example)');
  });

  it('keeps parentheses in the link target from ending the link', () => {
    expect(renderMarkdown({ ...message, link: 'https://app.example/leads/(1)' })).toContain('](https://app.example/leads/%281%29)');
  });
});

describe('truncation', () => {
  it('leaves a string within the limit as it is', () => {
    expect(truncateUtf8('北京星河科技', 18)).toBe('北京星河科技');
  });

  it('cuts UTF-8 on a character boundary, ellipsis included in the budget', () => {
    // 3 bytes a character; 10 bytes leave room for two characters and the 3-byte ellipsis.
    const cut = truncateUtf8('北京星河科技', 10);
    expect(cut).toBe('北京…');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10);
  });

  it('never splits an emoji', () => {
    const cut = truncateUtf8('🔥🔥🔥', 9);
    expect(cut).toBe('🔥…');
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
  });

  it('cuts characters on code points', () => {
    expect(truncateChars('🔥🔥🔥🔥', 3)).toBe('🔥🔥…');
  });
});
