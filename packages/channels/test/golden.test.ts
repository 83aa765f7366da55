import { describe, expect, it } from 'vitest';
import { dingtalkRequest, emailContent, feishuPayload, renderMarkdown, renderText, slackPayload, webhookRequest, wecomPayload } from '../src/index.ts';
import { DINGTALK_SECRET, DINGTALK_URL, expectGolden, FEISHU_SECRET, goldenMessage, NOW, WEBHOOK_SECRET } from './fixture.ts';

describe('each format of the fixed alert matches its checked-in fixture', () => {
  const message = goldenMessage();

  it('plain text', () => {
    const { title, lines } = renderText(message);
    expectGolden('text.txt', [title, ...lines, ''].join('\n'));
  });

  it('markdown', () => {
    expectGolden('markdown.md', `${renderMarkdown(message)}\n`);
  });

  it('signed webhook', () => {
    expectGolden('webhook.json', webhookRequest(message, { secret: WEBHOOK_SECRET, now: NOW }));
  });

  it('Slack', () => {
    expectGolden('slack.json', slackPayload(message));
  });

  it('WeCom', () => {
    expectGolden('wecom.json', wecomPayload(message));
  });

  it('Feishu, signed', () => {
    expectGolden('feishu.json', feishuPayload(message, { secret: FEISHU_SECRET, now: NOW }));
  });

  it('DingTalk, signed', () => {
    expectGolden('dingtalk.json', dingtalkRequest(DINGTALK_URL, message, { secret: DINGTALK_SECRET, now: NOW }));
  });

  it('email', () => {
    expectGolden('email.json', emailContent(message));
  });

  it('keeps the Chinese company name untouched in every format', () => {
    const outputs = [
      renderText(message).lines.join('\n'),
      renderMarkdown(message),
      webhookRequest(message, { secret: WEBHOOK_SECRET, now: NOW }).body,
      JSON.stringify(slackPayload(message)),
      wecomPayload(message).markdown.content,
      JSON.stringify(feishuPayload(message, { now: NOW })),
      dingtalkRequest(DINGTALK_URL, message, { now: NOW }).body.markdown.text,
      emailContent(message).html,
      emailContent(message).subject,
    ];
    for (const out of outputs) expect(out).toContain('北京星河科技');
  });
});
