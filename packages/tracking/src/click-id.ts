import { createHash } from 'node:crypto';

export interface EmailClick {
  readonly emailId: string;
  readonly recipient: string;
  readonly url: string;
  /** When the email was sent, unix seconds (the link's `t`). */
  readonly sentAt: number;
  /** When the link was fetched, epoch ms. */
  readonly clickedAt: number;
  /** The kinds of the noise flags on the click (scanner, bot, internal); none for a person's. */
  readonly flagKinds: readonly string[];
}

/**
 * The messageId of an "Email Link Clicked": the same for every fetch of one signed link in one window (counted from
 * the send time, so the windows do not depend on when the collector started), so a refresh, a forwarded mail or a
 * replayed link is one event to the workers' dedup and to ClickHouse's one row per message id. Flagged clicks get
 * ids of their own: a scanner that follows the link seconds after sending must not take the id of the person who
 * clicks an hour later.
 */
export function clickMessageId(click: EmailClick, windowMs: number): string {
  const window = Math.floor((click.clickedAt - click.sentAt * 1000) / windowMs);
  const flags = [...new Set(click.flagKinds)].sort().join(',');
  // Length-prefixed, so no choice of values can make two different clicks hash the same fields.
  const fields = [click.emailId, click.recipient, click.url, String(window), flags].map((f) => `${f.length}:${f}`).join('|');
  return `click-${createHash('sha256').update(fields).digest('hex').slice(0, 40)}`;
}
