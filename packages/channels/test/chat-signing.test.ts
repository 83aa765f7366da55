import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dingtalkRequest, feishuPayload } from '../src/index.ts';
import { DINGTALK_SECRET, DINGTALK_URL, FEISHU_SECRET, goldenMessage, NOW, NOW_SECONDS } from './fixture.ts';

const message = goldenMessage();

describe('Feishu signing', () => {
  it('signs with key "<timestamp>\\n<secret>" over an empty message, base64, timestamp in seconds', () => {
    // Feishu's documented recipe (Python): hmac.new(f"{timestamp}\n{secret}".encode(), b"", sha256), base64.
    const sign = createHmac('sha256', `${NOW_SECONDS}\n${FEISHU_SECRET}`).update(Buffer.alloc(0)).digest('base64');
    const payload = feishuPayload(message, { secret: FEISHU_SECRET, now: NOW });
    expect(payload.timestamp).toBe(String(NOW_SECONDS));
    expect(payload.sign).toBe(sign);
  });

  it('sends no timestamp nor sign without a secret', () => {
    const payload = feishuPayload(message, { now: NOW });
    expect(payload).not.toHaveProperty('timestamp');
    expect(payload).not.toHaveProperty('sign');
    expect(payload.msg_type).toBe('interactive');
  });

  it('colours the card header by tier', () => {
    expect(feishuPayload(message, { now: NOW }).card.header.template).toBe('red');
    expect(feishuPayload({ ...message, lead: { ...message.lead, tier: 'warm' } }, { now: NOW }).card.header.template).toBe('orange');
  });

  it('has a button to the lead only when there is a link', () => {
    const { link: _link, ...noLink } = message;
    expect(feishuPayload(message, { now: NOW }).card.elements.some((e) => e.tag === 'action')).toBe(true);
    expect(feishuPayload(noLink, { now: NOW }).card.elements.some((e) => e.tag === 'action')).toBe(false);
  });
});

describe('DingTalk signing', () => {
  it('appends timestamp in ms and urlencoded base64 HMAC-SHA256(secret, "<ms>\\n<secret>")', () => {
    // DingTalk's documented recipe (Java): Mac(HmacSHA256, key = secret).doFinal(timestamp + "\n" + secret), Base64, URLEncoder.
    const ms = NOW.getTime();
    const sign = encodeURIComponent(createHmac('sha256', DINGTALK_SECRET).update(`${ms}\n${DINGTALK_SECRET}`).digest('base64'));
    expect(dingtalkRequest(DINGTALK_URL, message, { secret: DINGTALK_SECRET, now: NOW }).url).toBe(`${DINGTALK_URL}&timestamp=${ms}&sign=${sign}`);
  });

  it('encodes the base64 characters that are not URL-safe', () => {
    const { url } = dingtalkRequest(DINGTALK_URL, message, { secret: DINGTALK_SECRET, now: NOW });
    const sign = new URL(url).searchParams.get('sign');
    const raw = url.slice(url.indexOf('&sign=') + '&sign='.length);
    expect(raw).not.toMatch(/[+/=]/);
    expect(sign).toBe(createHmac('sha256', DINGTALK_SECRET).update(`${NOW.getTime()}\n${DINGTALK_SECRET}`).digest('base64'));
  });

  it('leaves the URL as it is without a secret', () => {
    expect(dingtalkRequest(DINGTALK_URL, message, { now: NOW }).url).toBe(DINGTALK_URL);
  });

  it('starts the query when the URL has none', () => {
    expect(dingtalkRequest('http://127.0.0.1:9/robot', message, { secret: DINGTALK_SECRET, now: NOW }).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/robot\?timestamp=\d+&sign=/);
  });

  it('sends a markdown message with the title for the conversation list', () => {
    const { body } = dingtalkRequest(DINGTALK_URL, message, { now: NOW });
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toBe('Hot lead: Ann Lee (CTO, 北京星河科技)');
  });
});
