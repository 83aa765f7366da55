import { describe, expect, it } from 'vitest';
import { slackPayload, WECOM_MARKDOWN_MAX_BYTES, wecomPayload, type AlertMessage } from '../src/index.ts';
import { goldenMessage, withLead } from './fixture.ts';

const message = goldenMessage();
const longEvidence = (bytes: number): AlertMessage => ({
  ...message,
  why: { ...message.why, evidence: { ...message.why.evidence, notes: Array.from({ length: bytes / 300 }, () => '星'.repeat(95)) } },
});

describe('Slack', () => {
  it('has a fallback text with who and what to do', () => {
    expect(slackPayload(message).text).toBe('Hot lead: Ann Lee (CTO, 北京星河科技): call today');
  });

  it('uses mrkdwn sections and a context block', () => {
    const types = slackPayload(message).blocks.map((b) => b.type);
    expect(types.filter((t) => t === 'section').length).toBeGreaterThanOrEqual(3);
    expect(types.at(-1)).toBe('context');
  });

  it('puts a button to the lead next to the action when there is a link', () => {
    const action = slackPayload(message).blocks.find((b) => b.type === 'section' && b.text.text.startsWith('*What now:*'));
    expect(action).toMatchObject({ accessory: { type: 'button', url: 'https://app.leadscore.example/leads/lead-7f3a' } });
  });

  it('has no button without a link', () => {
    const { link: _link, ...noLink } = message;
    expect(JSON.stringify(slackPayload(noLink))).not.toContain('"button"');
  });

  it('escapes angle brackets so a name cannot ping the channel', () => {
    const json = JSON.stringify(slackPayload(withLead({ name: '<!channel> Ann & co' })));
    expect(json).not.toContain('<!channel>');
    expect(json).toContain('&lt;!channel&gt; Ann &amp; co');
  });

  it('keeps every section within 3000 characters', () => {
    for (const block of slackPayload(longEvidence(20_000)).blocks) {
      if (block.type === 'section') expect(Array.from(block.text.text).length).toBeLessThanOrEqual(3000);
    }
  });
});

describe('WeCom', () => {
  it('sends markdown', () => {
    expect(wecomPayload(message).msgtype).toBe('markdown');
  });

  it('keeps content within 4096 bytes of UTF-8', () => {
    const { content } = wecomPayload(longEvidence(20_000)).markdown;
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
    expect(content).not.toContain('\uFFFD');
  });

  it('keeps the link to the lead after a cut', () => {
    const { content } = wecomPayload(longEvidence(20_000)).markdown;
    expect(content).toContain('…');
    expect(content).toContain('(https://app.leadscore.example/leads/lead-7f3a)');
  });

  it('does not cut content that fits', () => {
    expect(wecomPayload(message).markdown.content).not.toContain('…');
  });

  it('escapes a mention in a name', () => {
    expect(wecomPayload(withLead({ name: '<@all>' })).markdown.content).not.toContain('<@all>');
  });
});
