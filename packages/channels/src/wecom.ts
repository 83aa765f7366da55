import type { AlertMessage } from './message.ts';
import { alertFacts, escapeMarkdown, markdownBody, markdownLink, truncateUtf8 } from './render.ts';

/**
 * WeCom (企业微信) group robot, markdown message (developer.work.weixin.qq.com, 群机器人配置说明): `content` is
 * UTF-8 and at most 4096 bytes; the robot answers longer content with an error, not a cut, and the alert would be lost. The body is
 * cut on a code point boundary and the link to the lead is kept after the cut: it is what sales act on.
 */

export const WECOM_MARKDOWN_MAX_BYTES = 4096;

export interface WecomPayload {
  readonly msgtype: 'markdown';
  readonly markdown: { readonly content: string };
}

export function wecomPayload(message: AlertMessage): WecomPayload {
  const f = alertFacts(message);
  const b = markdownBody(f);
  // WeCom's markdown has colours but no lists; `>` quotes the evidence so it reads as a block under "Why".
  const body = [`### ${escapeMarkdown(f.title)}`, ...b.who, b.why[0] as string, ...b.why.slice(1).map((l) => `> ${l}`), b.action].join('\n');
  const tail = [...(f.link ? [markdownLink(f.link)] : []), `<font color="comment">${b.footer}</font>`].join('\n');
  const room = WECOM_MARKDOWN_MAX_BYTES - Buffer.byteLength(`\n${tail}`, 'utf8');
  // The final cut only matters for a pathological link or rule id longer than the whole budget.
  const content = truncateUtf8(`${truncateUtf8(body, Math.max(room, 0))}\n${tail}`, WECOM_MARKDOWN_MAX_BYTES);
  return { msgtype: 'markdown', markdown: { content } };
}
