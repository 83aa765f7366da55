import { createHmac } from 'node:crypto';
import { epochMs, type AlertMessage, type Clock } from './message.ts';
import { alertFacts, markdownBody, truncateChars } from './render.ts';

/**
 * Feishu / Lark custom bot (open.feishu.cn, 自定义机器人使用指南). An interactive card rather than `text`: the
 * header carries the title in the tier's colour, markdown elements give bold labels and lists, and the link is a
 * button; a text message would be one unformatted block. With a signing secret ("签名校验"), the body carries
 * `timestamp` (unix seconds) and `sign` = base64(HMAC-SHA256 with key "<timestamp>\n<secret>" over an empty
 * message): the bot refuses a timestamp more than an hour off.
 */

export interface FeishuOptions {
  readonly secret?: string;
  readonly now: Clock;
}

export type FeishuElement =
  | { readonly tag: 'markdown'; readonly content: string }
  | { readonly tag: 'hr' }
  | {
      readonly tag: 'action';
      readonly actions: readonly {
        readonly tag: 'button';
        readonly text: { readonly tag: 'plain_text'; readonly content: string };
        readonly type: 'primary' | 'default';
        readonly url: string;
      }[];
    }
  | { readonly tag: 'note'; readonly elements: readonly { readonly tag: 'plain_text'; readonly content: string }[] };

export interface FeishuCard {
  readonly config: { readonly wide_screen_mode: true };
  readonly header: { readonly template: string; readonly title: { readonly tag: 'plain_text'; readonly content: string } };
  readonly elements: readonly FeishuElement[];
}

export interface FeishuPayload {
  readonly timestamp?: string;
  readonly sign?: string;
  readonly msg_type: 'interactive';
  readonly card: FeishuCard;
}

/** The header's colour by tier: red reads as "act now" in the chat list. */
const TEMPLATE = { hot: 'red', warm: 'orange', cold: 'blue' } as const;

/** Feishu's card header title is at most a few lines; a long name must not push the content off the screen. */
const TITLE_MAX = 100;

export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

export function feishuPayload(message: AlertMessage, options: FeishuOptions): FeishuPayload {
  const f = alertFacts(message);
  const b = markdownBody(f);
  const elements: FeishuElement[] = [
    { tag: 'markdown', content: b.who.join('\n') },
    { tag: 'markdown', content: b.why.join('\n') },
    { tag: 'markdown', content: b.action },
    ...(f.link
      ? [{ tag: 'action' as const, actions: [{ tag: 'button' as const, text: { tag: 'plain_text' as const, content: 'Open the lead' }, type: 'primary' as const, url: f.link }] }]
      : []),
    { tag: 'hr' },
    // plain_text: the footer is shown as is, no escaping needed.
    { tag: 'note', elements: [{ tag: 'plain_text', content: f.footer }] },
  ];
  const card: FeishuCard = {
    config: { wide_screen_mode: true },
    header: { template: TEMPLATE[message.lead.tier ?? 'cold'], title: { tag: 'plain_text', content: truncateChars(f.title, TITLE_MAX) } },
    elements,
  };
  if (options.secret === undefined || options.secret === '') return { msg_type: 'interactive', card };
  const timestamp = Math.floor(epochMs(options.now) / 1000);
  return { timestamp: String(timestamp), sign: feishuSign(options.secret, timestamp), msg_type: 'interactive', card };
}
