import { sourcePoliciesOf, type Config } from '@leadscore/config';
import type { KafkaMessage, Message } from 'kafkajs';
import { isTrustedClaim, type DecodeResult, type PolicyName, type TrackedEvent } from '@leadscore/events';
import type { Logger } from '@leadscore/log';
import { emailOf } from '@leadscore/identity';
import { alertStateFields, createAlertOutbox, portraitLayout, readTraitValues, type AlertSink, type LiveNotice, type PortraitScripts } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import { windowBudgets } from '@leadscore/redis';
import type { Redis } from 'ioredis';
import { LinkCache } from './link-cache.ts';
import type { IngestMetrics } from './metrics.ts';
import { createBatchProcessor } from './process-batch.ts';
import { createPortraitWriter } from './portrait-writer.ts';
import type { Warehouse } from './warehouse.ts';

/** What a deployment says about its portraits and alerts (from config; a replay passes the same). */
export interface ScoringSettings {
  readonly namespace: string;
  readonly dedupWindowMs: number;
  readonly logCap: number;
  readonly visitorTtlMs: number;
  readonly freeMailDomains: readonly string[];
  readonly timeZone: string;
  readonly alertFreshnessMs: number;
  readonly eventAttempts: number;
  readonly alertAttempts: number;
  /** Form alerts a source may raise an hour across all leads (0: no limit); live only, a replay shows the rules alone. */
  readonly formAlertsPerSourcePerHour?: number;
  /** Each source's policy and browser sources' identity secrets: how far an email claim is trusted (isTrustedClaim). */
  readonly sourcePolicies?: Readonly<Record<string, PolicyName>>;
  readonly identitySecrets?: Readonly<Record<string, string>>;
  /** The secret of signed email links, whose click tokens confirm a browser's email claim. */
  readonly emailLinkSecret?: string;
}

/** The scoring settings of a deployment's config. */
export function scoringSettingsOf(config: Config): ScoringSettings {
  return {
    namespace: config.namespace,
    dedupWindowMs: config.ingest.dedupWindowMs,
    logCap: config.ingest.profileLogCap,
    visitorTtlMs: config.ingest.visitorTtlMs,
    freeMailDomains: config.ingest.freeMailDomains,
    timeZone: config.timeZone,
    alertFreshnessMs: config.ingest.alertFreshnessMs,
    eventAttempts: config.ingest.eventAttempts,
    alertAttempts: config.alerts.attempts,
    formAlertsPerSourcePerHour: config.ingest.formAlertsPerSourcePerHour,
    sourcePolicies: sourcePoliciesOf(config),
    identitySecrets: config.collector.identitySecrets,
    emailLinkSecret: config.collector.linkSecret,
  };
}

/**
 * The scoring path, defined once: events to portraits (the Lua scripts), alert decisions on the states they hand
 * back, the outbox that marks each firing once, and its jobs to a sink. The ingest worker runs it on Kafka batches
 * with the alerts queue as the sink; rescore and backtest run the same path on events rebuilt from ClickHouse, with
 * a clock set to event time, a namespace and a sink of their own — no second implementation of the scoring.
 */
export function createScoringPath(
  settings: ScoringSettings,
  deps: {
    readonly redis: Redis;
    readonly scripts: PortraitScripts;
    readonly rules: () => Rules;
    /** Where enqueued alert jobs go: the alerts queue, or a replay's recorder. */
    readonly alerts: AlertSink;
    /** Where the rows go; a replay has none. */
    readonly warehouse?: Warehouse;
    /** How a record becomes an event (see BatchProcessorDeps.decode). */
    readonly decode?: (message: KafkaMessage) => DecodeResult;
    /** Identity links known to this process; scoring paths writing one namespace side by side may share one. */
    readonly links?: LinkCache;
    readonly sendDeadLetters: (messages: Message[]) => Promise<void>;
    readonly suppressed?: (events: readonly TrackedEvent[]) => Promise<Set<number>>;
    readonly live?: (notices: readonly LiveNotice[]) => Promise<void>;
    readonly metrics: IngestMetrics;
    readonly log: Logger;
    readonly now?: () => number;
    /** Apply and judge each event as of its own time (a replay), not the batch's. */
    readonly atEventTime?: boolean;
  },
) {
  const { redis, scripts, log } = deps;
  // What Redis keeps per lead and company, and for how long (README: "What the ingest workers keep").
  const layout = { ...portraitLayout({ namespace: settings.namespace, dedupWindowMs: settings.dedupWindowMs, logCap: settings.logCap, visitorTtlMs: settings.visitorTtlMs }), ...(deps.atEventTime ? { clockAtEvent: true } : {}) };
  // A marker outlives any replay that could fire it again: the dedup window, and a day more than fresh alerts.
  const markerRetentionMs = Math.max(settings.dedupWindowMs, settings.alertFreshnessMs) + 86_400_000;
  const clock = deps.now ? { now: deps.now } : {};
  const budgets = windowBudgets(redis);
  const perHour = settings.formAlertsPerSourcePerHour ?? 0;
  const formBudget = perHour > 0 && !deps.atEventTime ? async (source: string) => (await budgets.take(`${settings.namespace}:form-alerts:{${source}}`, 1, perHour, 3_600_000)).ok : undefined;
  const outbox = createAlertOutbox({ layout: { ...layout, alertFields: [] }, redis, scripts, queue: deps.alerts, log, attempts: settings.alertAttempts, markerRetentionMs, ...clock });
  const { applyBatch, processBatch } = createBatchProcessor({
    portraits: createPortraitWriter(
      {
        layout,
        freeMailDomains: new Set(settings.freeMailDomains),
        rules: deps.rules,
        alertFields: alertStateFields,
        timeZone: settings.timeZone,
        trusted: (event) => isTrustedClaim(event, settings.sourcePolicies ?? {}, settings.identitySecrets ?? {}, { emailOf, linkSecret: settings.emailLinkSecret }),
      },
      { redis, scripts, links: deps.links ?? new LinkCache(), ...clock },
    ),
    ...(deps.warehouse ? { warehouse: deps.warehouse } : {}),
    ...(deps.decode ? { decode: deps.decode } : {}),
    outbox,
    memberTraits: (members) => readTraitValues(redis, settings.namespace, members),
    rules: deps.rules,
    timeZone: settings.timeZone,
    freshnessMs: settings.alertFreshnessMs,
    eventAttempts: settings.eventAttempts,
    sendDeadLetters: deps.sendDeadLetters,
    ...(deps.suppressed ? { suppressed: deps.suppressed } : {}),
    ...(deps.live ? { live: deps.live } : {}),
    ...(formBudget ? { formBudget } : {}),
    ...clock,
    ...(deps.atEventTime ? { atEventTime: true } : {}),
    metrics: deps.metrics,
    log,
  });
  return { applyBatch, processBatch, outbox, layout };
}
export type ScoringPath = ReturnType<typeof createScoringPath>;
