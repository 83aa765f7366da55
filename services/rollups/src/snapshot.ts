import { runRollup, type RollupResult, type RollupSettings, type StepProgress } from '@leadscore/analytics';
import type { SqlExecutor } from '@leadscore/clickhouse/sql';
import type { PortraitScripts } from '@leadscore/portrait';
import type { Redis } from 'ioredis';
import { writeBack, type WriteBackResult } from './write-back.ts';

export interface SnapshotDeps {
  readonly exec: SqlExecutor;
  readonly database: string;
  readonly settings: RollupSettings;
  /** Without Redis the snapshot is computed and published only. */
  readonly portraits?: { readonly redis: Redis; readonly scripts: PortraitScripts; readonly namespace: string; readonly chunk: number };
  readonly onStep?: (p: StepProgress) => void;
}

export interface SnapshotResult {
  readonly rollup: RollupResult;
  readonly writeBack?: WriteBackResult;
}

/** A snapshot as of a time: computed and published in ClickHouse, then written back to the portraits. */
export async function takeSnapshot(deps: SnapshotDeps, asOf: Date): Promise<SnapshotResult> {
  const rollup = await runRollup(deps.exec, { database: deps.database, asOf, settings: deps.settings }, deps.onStep ? { onStep: deps.onStep } : {});
  if (!deps.portraits) return { rollup };
  const written = await writeBack({ exec: deps.exec, ...deps.portraits }, { database: deps.database, asOf: rollup.summary.asOf });
  return { rollup, writeBack: written };
}
