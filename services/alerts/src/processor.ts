import { UnrecoverableError, type Job } from 'bullmq';
import type { AlertMessage } from '@leadscore/channels';
import { formatDateTime } from '@leadscore/clickhouse';
import { hotLeadJobSchema, type HotLeadJob } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import { routeAlert, type Rules } from '@leadscore/scoring';
import type { deliveredKeys } from './delivered-keys.ts';
import type { channelRateLimit } from './rate-limit.ts';

/** One delivery attempt on one channel, as every sender reports it. */
export interface DeliveryAttempt {
  readonly outcome: 'delivered' | 'retry' | 'give_up';
  readonly status?: number;
  readonly retryAfter?: string;
  readonly error?: string;
  readonly durationMs: number;
}

export type Sender = (message: AlertMessage) => Promise<DeliveryAttempt>;

export interface DeliveryRow {
  idempotency_key: string;
  job_id: string;
  lead: string;
  company: string;
  rule_id: string;
  channel: string;
  channel_type: string;
  attempt: number;
  outcome: string;
  http_status: number;
  error: string;
  duration_ms: number;
  fired_at: string;
  at: string;
}

/** A retryable failure, carrying the longest Retry-After a channel asked for, for the backoff strategy. */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
  constructor(
    message: string,
    readonly retryAfter?: string,
  ) {
    super(message);
  }
}

export interface ProcessorDeps {
  readonly rules: () => Rules;
  readonly compose: (job: HotLeadJob & { id: string }) => Promise<AlertMessage>;
  readonly senders: (channel: string) => { readonly type: string; readonly send: Sender } | undefined;
  readonly delivered: ReturnType<typeof deliveredKeys>;
  readonly rateLimit: ReturnType<typeof channelRateLimit>;
  readonly record: (rows: DeliveryRow[]) => Promise<void>;
  /** Channels in digest mode gather alerts here instead of sending each. */
  readonly digests?: { add(channel: string, message: AlertMessage): Promise<void> };
  readonly log: Logger;
  readonly onAttempt?: (channel: string, outcome: string) => void;
}

/**
 * Delivers one hot-lead job to every channel its route names: channels that already got it (delivered keys) are
 * skipped, every attempt is recorded, a channel over its rate waits, a retryable failure retries the job (the
 * channels done stay done), and a failure no retry can fix fails the job with its reason, kept for redelivery.
 */
export function createProcessor(deps: ProcessorDeps) {
  return async function process(job: Job): Promise<{ delivered: string[] }> {
    const data = hotLeadJobSchema.parse(job.data);
    const id = String(job.id);
    const message = await deps.compose({ ...data, id });
    const { channels } = routeAlert(deps.rules().routing, {
      owner: message.lead.company?.owner,
      region: message.lead.company?.region,
      tier: message.lead.tier,
      role: message.lead.role,
      rule: data.rule,
    });
    const delivered: string[] = [];
    const retry: { channel: string; error: string; retryAfter?: string }[] = [];
    const gaveUp: { channel: string; error: string }[] = [];
    const rows: DeliveryRow[] = [];
    const row = (channel: string, type: string, attempt: Pick<DeliveryAttempt, 'status' | 'error' | 'durationMs'> & { outcome: string }): DeliveryRow => ({
      idempotency_key: id,
      job_id: id,
      lead: data.lead,
      company: data.company ?? message.lead.company?.id ?? '',
      rule_id: data.rule,
      channel,
      channel_type: type,
      attempt: job.attemptsMade + 1,
      outcome: attempt.outcome,
      http_status: attempt.status ?? 0,
      error: attempt.error ?? '',
      duration_ms: Math.round(attempt.durationMs),
      fired_at: formatDateTime(new Date(data.firedAt)),
      at: formatDateTime(new Date()),
    });
    for (const channel of channels) {
      if (await deps.delivered.has(id, channel)) {
        delivered.push(channel);
        continue;
      }
      const sender = deps.senders(channel);
      if (!sender) {
        gaveUp.push({ channel, error: `channel ${channel} is not configured (missing secret or SMTP settings?)` });
        continue;
      }
      if (deps.digests && deps.rules().routing.channels[channel]?.digest) {
        await deps.digests.add(channel, message);
        await deps.delivered.remember(id, channel);
        delivered.push(channel);
        rows.push(row(channel, sender.type, { outcome: 'digested', durationMs: 0 }));
        continue;
      }
      const slot = await deps.rateLimit.take(channel);
      if (!slot.ok) {
        retry.push({ channel, error: `channel ${channel} is over its rate`, retryAfter: String(Math.ceil(slot.retryInMs / 1000)) });
        continue;
      }
      const attempt = await sender.send(message);
      deps.onAttempt?.(channel, attempt.outcome);
      rows.push(row(channel, sender.type, attempt));
      if (attempt.outcome === 'delivered') {
        await deps.delivered.remember(id, channel);
        delivered.push(channel);
      } else if (attempt.outcome === 'retry') retry.push({ channel, error: attempt.error ?? `status ${attempt.status}`, ...(attempt.retryAfter ? { retryAfter: attempt.retryAfter } : {}) });
      else gaveUp.push({ channel, error: attempt.error ?? `status ${attempt.status}` });
    }
    await deps.record(rows).catch((err: Error) => deps.log.error({ err, jobId: id }, 'delivery attempts could not be recorded in ClickHouse'));
    const log = deps.log.child({ leadId: data.lead, rule: data.rule, jobId: id });
    if (gaveUp.length > 0 && retry.length === 0) {
      log.error({ gaveUp, delivered }, 'alert not deliverable; kept as failed');
      throw new UnrecoverableError(gaveUp.map((g) => `${g.channel}: ${g.error}`).join('; '));
    }
    if (retry.length > 0) {
      log.warn({ retry, gaveUp, delivered, attempt: job.attemptsMade + 1 }, 'alert delivery will be retried');
      const retryAfter = retry.find((r) => r.retryAfter !== undefined)?.retryAfter;
      throw new RetryLater([...retry, ...gaveUp].map((r) => `${r.channel}: ${r.error}`).join('; '), retryAfter);
    }
    log.info({ delivered }, 'alert delivered');
    return { delivered };
  };
}
