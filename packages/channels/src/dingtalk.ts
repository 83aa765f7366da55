import { createHmac } from 'node:crypto';
import { epochMs, type AlertMessage, type Clock } from './message.ts';
import { alertFacts, renderMarkdown, truncateChars } from './render.ts';

/**
 * DingTalk (钉钉) custom robot (open.dingtalk.com, 自定义机器人安全设置 / 消息类型): markdown message with a
 * `title` (shown in the conversation list and notification) and `text`. With 加签, the URL gets `timestamp`
 * (milliseconds) and `sign` = urlencode(base64(HMAC-SHA256 with the secret as key over "<timestamp>\n<secret>")),
 * and the robot refuses a timestamp more than an hour off.
 */

export interface DingtalkOptions {
  readonly secret?: string;
  readonly now: Clock;
}

export interface DingtalkRequest {
  readonly url: string;
  readonly body: { readonly msgtype: 'markdown'; readonly markdown: { readonly title: string; readonly text: string } };
}

/** The title is only the preview line; a long one is cut by the client anyway. */
const TITLE_MAX = 64;

export function dingtalkSign(secret: string, timestampMs: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64'));
}

export function dingtalkRequest(url: string, message: AlertMessage, options: DingtalkOptions): DingtalkRequest {
  const f = alertFacts(message);
  // A blank line between lines: DingTalk's markdown joins lines separated by a single newline into one paragraph.
  const body = { msgtype: 'markdown' as const, markdown: { title: truncateChars(f.title, TITLE_MAX), text: renderMarkdown(message, { lineBreak: '\n\n' }) } };
  if (options.secret === undefined || options.secret === '') return { url, body };
  const timestamp = epochMs(options.now);
  // The webhook URL already has ?access_token=…; a bare URL (a test double, a proxy) gets its first parameter.
  const sep = url.includes('?') ? '&' : '?';
  return { url: `${url}${sep}timestamp=${timestamp}&sign=${dingtalkSign(options.secret, timestamp)}`, body };
}
