import { describe, expect, it } from 'vitest';
import { describeReport, DEFAULT_SEED, runFuzz } from '../../scripts/fuzz-run.ts';
import { testNamespace } from '../support/namespace.ts';
import { services } from '../support/services.ts';

/**
 * The short version of `pnpm fuzz` (scripts/fuzz-run.ts): the same code path, 2,000 cases of hostile requests and raw
 * records, the collector in this process and the real ingest worker in its own. FUZZ_CASES and FUZZ_SEED change the
 * run (the seed is printed with the figures when it fails).
 */
const CASES = Number(process.env.FUZZ_CASES ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);

describe('fuzz: hostile input through collector and ingest worker', () => {
  it(`${CASES} seeded cases: nothing crashes, stalls, pollutes a prototype or is lost, and every outcome occurs`, { timeout: 180_000 }, async () => {
    const report = await runFuzz({ cases: CASES, seed: SEED, services: services(), namespace: testNamespace('fuzz'), stallMs: 30_000 });
    const figures = [...describeReport(report), report.line].join('\n');
    expect({ crashes: report.crashes, stalls: report.stalls, polluted: report.polluted, lost: report.lost }, figures).toEqual({ crashes: 0, stalls: 0, polluted: 0, lost: 0 });
    expect(report.cases, figures).toBe(CASES);
    // Every kind of outcome: accepted and stored, refused in an answer, dead-lettered by the collector and by the worker.
    expect(report.accepted, figures).toBeGreaterThan(0);
    expect(report.clickhouse.distinctMessageIds, figures).toBeGreaterThan(0);
    expect(report.rejected, figures).toBeGreaterThan(0);
    expect(report.deadLettered, figures).toBeGreaterThan(0);
    expect(Object.keys(report.deadLetters).some((k) => k.startsWith('collector/')), figures).toBe(true);
    expect(Object.keys(report.deadLetters).some((k) => k.startsWith('ingest/')), figures).toBe(true);
    expect(Object.keys(report.http.byStatus).some((status) => status.startsWith('4')), figures).toBe(true);
  });
});
