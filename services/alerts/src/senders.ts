import {
  createSmtpSender,
  deliverHttp,
  dingtalkRequest,
  emailContent,
  feishuPayload,
  renderText,
  slackPayload,
  webhookRequest,
  wecomPayload,
  type AlertMessage,
  type ConnectionPools,
  type HttpDeliveryResult,
} from '@leadscore/channels';
import type { Logger } from '@leadscore/log';
import type { Rules } from '@leadscore/scoring';
import type { DeliveryAttempt, Sender } from './processor.ts';

export interface SenderSettings {
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly refusePrivate: boolean;
  readonly smtpUrl?: string | undefined;
  readonly emailFrom: string;
  /** Where secrets named in the rules file (`secretEnv`) are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

function fromHttp(result: HttpDeliveryResult): DeliveryAttempt {
  return {
    outcome: result.outcome,
    ...(result.status !== undefined ? { status: result.status } : {}),
    ...(result.retryAfter !== undefined ? { retryAfter: result.retryAfter } : {}),
    ...(result.error ? { error: result.error.message } : {}),
    durationMs: result.durationMs,
  };
}

/**
 * Chat-bot APIs answer 200 with an error code in the body (WeCom and DingTalk `errcode`, Feishu `code`): a 200 is a
 * delivery only when that code is 0; rate-limit codes are retried.
 */
function botAnswer(result: HttpDeliveryResult, field: 'errcode' | 'code', rateLimited: readonly number[]): DeliveryAttempt {
  const attempt = fromHttp(result);
  if (result.outcome !== 'delivered' || !result.body) return attempt;
  let code: unknown;
  try {
    code = (JSON.parse(result.body) as Record<string, unknown>)[field];
  } catch {
    return attempt;
  }
  if (code === undefined || code === 0) return attempt;
  return { ...attempt, outcome: rateLimited.includes(Number(code)) ? 'retry' : 'give_up', error: `bot answered ${field} ${String(code)}: ${result.body.slice(0, 300)}` };
}

/**
 * One sender per channel of the rules' routing; a channel whose secret or SMTP server is missing has none. HTTP
 * channels reuse connections from `pools` (keyed by the addresses each delivery's target check returned), which the
 * caller owns and destroys at shutdown; without pools every delivery connects anew.
 */
export function createSenders(rules: () => Rules, settings: SenderSettings, log: Logger, pools?: ConnectionPools) {
  const http = (url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    deliverHttp({
      url,
      method: 'POST',
      headers,
      body,
      connectTimeoutMs: settings.connectTimeoutMs,
      totalTimeoutMs: settings.timeoutMs,
      refusePrivate: settings.refusePrivate,
      ...(pools ? { pools } : {}),
    });
  const smtp = settings.smtpUrl ? createSmtpSender({ url: settings.smtpUrl, from: settings.emailFrom }) : undefined;

  return (channel: string): { type: string; send: Sender } | undefined => {
    const config = rules().routing.channels[channel];
    if (!config) return undefined;
    const secret = 'secretEnv' in config && config.secretEnv ? settings.env[config.secretEnv] : undefined;
    switch (config.type) {
      case 'log':
        return {
          type: 'log',
          send: async (message: AlertMessage) => {
            const text = renderText(message);
            log.info({ alert: message.idempotencyKey, leadId: message.lead.id, title: text.title, lines: text.lines }, 'hot-lead alert');
            return { outcome: 'delivered', durationMs: 0 };
          },
        };
      case 'webhook':
        if (!secret) return undefined;
        return {
          type: 'webhook',
          send: async (message) => {
            const request = webhookRequest(message, { secret, now: Date.now() });
            return fromHttp(await http(config.url, request.body, { ...request.headers }));
          },
        };
      case 'slack':
        return { type: 'slack', send: async (message) => fromHttp(await http(config.url, JSON.stringify(slackPayload(message)))) };
      case 'wecom':
        // 45009: the robot's per-minute limit.
        return { type: 'wecom', send: async (message) => botAnswer(await http(config.url, JSON.stringify(wecomPayload(message))), 'errcode', [45009]) };
      case 'feishu':
        // 9499: too many requests.
        return { type: 'feishu', send: async (message) => botAnswer(await http(config.url, JSON.stringify(feishuPayload(message, { ...(secret ? { secret } : {}), now: Date.now() }))), 'code', [9499]) };
      case 'dingtalk':
        // 130101: sent too fast.
        return {
          type: 'dingtalk',
          send: async (message) => {
            const request = dingtalkRequest(config.url, message, { ...(secret ? { secret } : {}), now: Date.now() });
            return botAnswer(await http(request.url, JSON.stringify(request.body)), 'errcode', [130101]);
          },
        };
      case 'email':
        if (!smtp) return undefined;
        return {
          type: 'email',
          send: async (message) => {
            const started = performance.now();
            const content = emailContent(message);
            const result = await smtp.send({ to: config.to, subject: content.subject, text: content.text, html: content.html, headers: { 'Idempotency-Key': message.idempotencyKey } });
            return { outcome: result.outcome, ...(result.error ? { error: result.error.message } : {}), durationMs: performance.now() - started };
          },
        };
    }
  };
}
