import { runRollup, type RollupResult, type RollupSettings, type StepProgress } from '@leadscore/analytics';
import type { SqlExecutor } from '@leadscore/clickhouse/sql';
import type { AlertOutbox, PortraitScripts, RollupWrite } from '@leadscore/portrait';
import { decideStageAlerts, type Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { writeBack, type WriteBackResult } from './write-back.ts';

export interface SnapshotDeps {
  readonly exec: SqlExecutor;
  readonly database: string;
  readonly settings: RollupSettings;
  /** Without Redis the snapshot is computed and published only. */
  readonly portraits?: { readonly redis: Redis; readonly scripts: PortraitScripts; readonly namespace: string; readonly chunk: number };
  /**
   * Stage alerts: the rules' `stage` alerts fired on the changes this snapshot writes to the portraits, through the
   * outbox (once per change). Only for a snapshot as fresh as `freshnessMs`: a backfill for a past date alerts nobody.
   */
  readonly alerts?: { readonly rules: () => Rules; readonly outbox: AlertOutbox; readonly freshnessMs: number; readonly now?: () => number };
  readonly onStep?: (p: StepProgress) => void;
}

export interface SnapshotResult {
  readonly rollup: RollupResult;
  readonly writeBack?: WriteBackResult;
  /** Stage alerts enqueued. */
  readonly alerts: number;
}

/** The stage alerts of the verdicts a snapshot wrote. Pure. */
export function stageFirings(rules: Rules, writes: readonly RollupWrite[]) {
  return writes.flatMap(({ subject, verdict }) =>
    decideStageAlerts(rules, {
      subject,
      stage: verdict.stage,
      asOf: verdict.asOf,
      stageChangedAt: verdict.stageChangedAt,
      ...(verdict.previousStage !== undefined ? { previousStage: verdict.previousStage } : {}),
      ...(verdict.abcClass !== undefined ? { abcClass: verdict.abcClass } : {}),
      ...(verdict.segment !== undefined ? { segment: verdict.segment } : {}),
    }).map((candidate) => ({
      lead: subject,
      ...(subject.startsWith('c:') ? { company: subject.slice(2) } : {}),
      candidate,
      messageId: `rollup:${verdict.asOf}`,
      rulesVersion: rules.version,
    })),
  );
}

/**
 * A snapshot as of a time: computed and published in ClickHouse, then written back to the portraits, and the stage
 * changes it brings told to sales where a rule asks for it.
 */
export async function takeSnapshot(deps: SnapshotDeps, asOf: Date): Promise<SnapshotResult> {
  const rollup = await runRollup(deps.exec, { database: deps.database, asOf, settings: deps.settings }, deps.onStep ? { onStep: deps.onStep } : {});
  if (!deps.portraits) return { rollup, alerts: 0 };
  const alerts = deps.alerts;
  const fresh = alerts !== undefined && (alerts.now ?? Date.now)() - rollup.summary.asOf.getTime() <= alerts.freshnessMs;
  let fired = 0;
  const written = await writeBack(
    {
      exec: deps.exec,
      ...deps.portraits,
      ...(alerts && fresh
        ? {
            onApplied: async (writes: readonly RollupWrite[]) => {
              const firings = stageFirings(alerts.rules(), writes);
              if (firings.length > 0) fired += await alerts.outbox.fire(firings);
            },
          }
        : {}),
    },
    { database: deps.database, asOf: rollup.summary.asOf },
  );
  return { rollup, writeBack: written, alerts: fired };
}
