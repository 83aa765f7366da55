import type { FastifyInstance } from 'fastify';
import { EMAIL_TOKEN_PARAM, EMAIL_TOKEN_TTL_MS, emailTokenOf, intakeMessage, type TrackedEvent } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import { clickMessageId, ClickBurstDetector, earlyClickFlag, redirectAllowed, verifyEmailQuery, type EmailLinkFields, type NoiseFlag, type NoiseSettings } from '@leadscore/tracking';
import type { SourceKeys } from '../auth.ts';
import type { EventSink } from '../event-sink.ts';
import { normalizeEmail, refuseWithoutIdentity } from '@leadscore/identity';
import type { CollectorMetrics } from '../metrics.ts';

export interface EmailRouteOptions {
  readonly keys: SourceKeys;
  readonly sink: EventSink;
  readonly metrics: CollectorMetrics;
  readonly log: Logger;
  readonly noise: NoiseSettings;
  readonly linkSecret: string;
  readonly redirectHosts: readonly string[];
  readonly now: () => Date;
}

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** The recipient is an email address or a userId; an address becomes the `email:` identity the pipeline stitches by. */
function recipientIdentity(recipient: string) {
  return recipient.includes('@')
    ? { anonymousId: `email:${recipient.trim().toLowerCase()}`, context: { traits: { email: recipient.trim().toLowerCase() } } }
    : { userId: recipient, context: {} };
}

/**
 * Email open pixel and click redirect: signed links turned into "Email Opened" / "Email Link Clicked" events.
 * The person must get their image or their page whatever happens to Kafka, so a failed produce is logged with the
 * whole event (recoverable from logs) and counted, not answered with an error nobody would retry.
 */
export async function registerEmailRoutes(app: FastifyInstance, options: EmailRouteOptions): Promise<void> {
  const { keys, sink, metrics, log, now } = options;
  const bursts = new ClickBurstDetector(options.noise.scannerBurstSeconds);

  async function record(route: string, kind: 'open' | 'click', fields: EmailLinkFields, request: { ip: string; headers: Record<string, unknown> }): Promise<void> {
    const source = keys.authenticate(undefined, { writeKey: fields.writeKey }, 'email');
    if (!source) return;
    const receivedAt = now();
    const identity = recipientIdentity(fields.recipient);
    const userAgent = typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined;
    const result = intakeMessage(
      {
        type: 'track',
        event: kind === 'open' ? 'Email Opened' : 'Email Link Clicked',
        ...(identity.userId ? { userId: identity.userId } : { anonymousId: identity.anonymousId }),
        properties: { email_id: fields.emailId, ...(fields.campaignId ? { campaign_id: fields.campaignId } : {}), ...(fields.url ? { link_url: fields.url } : {}), email_sent_at: new Date(fields.sentAt * 1000).toISOString() },
        context: { ...identity.context, ip: request.ip, ...(userAgent ? { userAgent } : {}) },
      },
      { receivedAt, source, maxFutureMs: 0, maxPastMs: null, check: refuseWithoutIdentity },
    );
    if (!result.ok) {
      metrics.rejected.inc({ route, reason: result.reason });
      log.warn({ route, issues: result.issues }, 'email link produced an invalid event');
      return;
    }
    const scanner: NoiseFlag[] = [];
    const early = earlyClickFlag(receivedAt.getTime(), fields.sentAt, options.noise.scannerClickSeconds);
    if (early) scanner.push(early);
    if (kind === 'click') {
      const burst = bursts.observe(fields.emailId, fields.recipient, fields.url ?? '', receivedAt.getTime());
      if (burst) scanner.push(burst);
    }
    const flagged = sink.flag(result.event, scanner);
    // Named after the flags are known: a scanner's click must not take the id of the person's click after it.
    const event: TrackedEvent =
      kind === 'click'
        ? { ...flagged, messageId: clickMessageId({ emailId: fields.emailId, recipient: fields.recipient, url: fields.url ?? '', sentAt: fields.sentAt, clickedAt: receivedAt.getTime(), flagKinds: flagged.flags.map((f) => f.kind) }, options.noise.clickWindowMs) }
        : flagged;
    try {
      await sink.send(route, source, [event]);
    } catch (err) {
      metrics.rejected.inc({ route, reason: 'unstored_email_event' });
      log.error({ err, route, event }, 'email event could not be stored; it is in this log line');
    }
  }

  app.get('/v1/email/open', async (request, reply) => {
    const check = verifyEmailQuery('open', request.query as Record<string, unknown>, options.linkSecret);
    if (!check.ok) {
      metrics.rejected.inc({ route: '/v1/email/open', reason: check.reason });
      return reply.code(403).send({ error: check.reason, message: check.message });
    }
    await record('/v1/email/open', 'open', check.fields, request);
    return reply
      .header('Content-Type', 'image/gif')
      .header('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0')
      .header('Pragma', 'no-cache')
      .header('Expires', '0')
      .send(PIXEL);
  });

  app.get('/v1/email/click', async (request, reply) => {
    const check = verifyEmailQuery('click', request.query as Record<string, unknown>, options.linkSecret);
    if (!check.ok) {
      metrics.rejected.inc({ route: '/v1/email/click', reason: check.reason });
      return reply.code(403).send({ error: check.reason, message: check.message });
    }
    const target = redirectAllowed(check.fields.url ?? '', options.redirectHosts);
    if (!target.ok) {
      metrics.rejected.inc({ route: '/v1/email/click', reason: 'redirect_not_allowed' });
      return reply.code(400).send({ error: 'redirect_not_allowed', message: target.message });
    }
    await record('/v1/email/click', 'click', check.fields, request);
    // The landing page's tracker presents this token to confirm its visitor's claim of the address (email-token.ts).
    const email = normalizeEmail(check.fields.recipient);
    if (email) target.url.searchParams.set(EMAIL_TOKEN_PARAM, emailTokenOf(email, now().getTime() + EMAIL_TOKEN_TTL_MS, options.linkSecret));
    return reply.header('Cache-Control', 'no-store').redirect(target.url.toString(), 302);
  });
}
