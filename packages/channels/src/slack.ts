import type { AlertMessage } from './message.ts';
import { alertFacts, truncateChars } from './render.ts';

/**
 * Slack incoming webhook payload (docs.slack.dev: incoming webhooks, Block Kit): `text` is the fallback that
 * notifications and screen readers show, `blocks` the message. Section text is capped at 3000 characters by Slack,
 * which rejects the whole message above it, so every section is cut to fit.
 */

export const SLACK_SECTION_MAX = 3000;

export interface SlackText {
  readonly type: 'mrkdwn' | 'plain_text';
  readonly text: string;
}
export interface SlackButton {
  readonly type: 'button';
  readonly text: { readonly type: 'plain_text'; readonly text: string };
  readonly url: string;
  readonly action_id: string;
  readonly style?: 'primary' | 'danger';
}
export type SlackBlock =
  | { readonly type: 'section'; readonly text: SlackText; readonly accessory?: SlackButton }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] };

export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack reads `<…>` as links and mentions (`<!channel>`) and `&` as an entity; nothing else needs escaping. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const section = (text: string, accessory?: SlackButton): SlackBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncateChars(text, SLACK_SECTION_MAX) },
  ...(accessory ? { accessory } : {}),
});

export function slackPayload(message: AlertMessage): SlackPayload {
  const f = alertFacts(message);
  const e = escapeSlack;
  // A URL button needs no interactivity endpoint to open the link; the accessory keeps it next to the action.
  const button: SlackButton | undefined = f.link
    ? { type: 'button', text: { type: 'plain_text', text: 'Open the lead' }, url: f.link, action_id: 'open-lead', style: 'primary' }
    : undefined;
  const who = [`*Who:* ${e(f.person)}`, ...(f.company ? [`*Company:* ${e(f.company)}`] : []), ...(f.score ? [`*Score:* ${e(f.score)}`] : [])];
  const why = [`*Why:* ${e(f.summary)}`, ...f.points.map((p) => `• ${e(p)}`)];
  return {
    // The fallback is mrkdwn too (notifications render it), so it is escaped like the blocks.
    text: truncateChars(e(`${f.title}: ${f.action}`), SLACK_SECTION_MAX),
    blocks: [
      section(`*${e(f.title)}*`),
      section(who.join('\n')),
      section(why.join('\n')),
      section(`*What now:* ${e(f.action)}`, button),
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncateChars(e(f.footer), SLACK_SECTION_MAX) }] },
    ],
  };
}
