import type { BacktestReport } from './backtest.ts';
import { alertDiff } from './report.ts';

/** A backtest (or two side by side) as a person reads it on a terminal (pure). */
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const num = (x: number) => x.toLocaleString('en-US');
const pad = (cells: readonly string[], widths: readonly number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => pad(r, widths));
}

export function reportText(reports: readonly BacktestReport[]): string {
  const [first] = reports;
  if (!first) return '';
  const out: string[] = [];
  const head = ['', ...reports.map((r) => r.rules)];
  out.push(`backtest ${first.from} → ${first.to}: ${num(first.events)} events`);
  out.push(...reports.map((r) => `  ${r.rules}: ${r.seconds.toFixed(1)} s, ${num(Math.round(r.eventsPerSecond))} events/s`));
  out.push('', 'alerts per rule');
  const rules = [...new Set(reports.flatMap((r) => Object.keys(r.alerts.perRule)))].sort();
  out.push(...table([head, ...rules.map((rule) => [rule, ...reports.map((r) => num(r.alerts.perRule[rule] ?? 0))]), ['all', ...reports.map((r) => num(r.alerts.list.length))]]));
  out.push('', 'how well the alerts called conversions');
  const e = reports.map((r) => r.effectiveness);
  out.push(
    ...table([
      head,
      ['leads active', ...e.map((x) => num(x.leads))],
      ['leads alerted', ...e.map((x) => `${num(x.alerted)} (${pct(x.alertedShare)})`)],
      ['precision', ...e.map((x) => pct(x.precision))],
      ['recall', ...e.map((x) => pct(x.recall))],
      ['lift', ...e.map((x) => (x.lift === null ? 'n/a' : `${x.lift.toFixed(1)}×`))],
      ['converted', ...e.map((x) => num(x.converted))],
    ]),
  );
  const days = first.days;
  if (days.length > 0) {
    out.push('', `leads per tier at each day's end (${reports.map((r) => r.rules).join(' | ')})`);
    const tiers = ['hot', 'warm', 'cold'];
    out.push(
      ...table([
        ['day', ...tiers.flatMap((t) => reports.map((r) => (reports.length > 1 ? `${t}:${r.rules}` : t)))],
        ...days.map((d, i) => [d.day, ...tiers.flatMap((t) => reports.map((r) => num(r.days[i]?.tiers[t] ?? 0)))]),
      ]),
    );
  }
  if (reports.length === 2) {
    const { gained, lost } = alertDiff((reports[0] as BacktestReport).alerts.list, (reports[1] as BacktestReport).alerts.list);
    out.push('', `${reports[1]?.rules} against ${reports[0]?.rules}: ${gained.length} alerts gained, ${lost.length} lost`);
    for (const k of gained.slice(0, 20)) out.push(`  + ${k.replaceAll('\t', '  ')}`);
    for (const k of lost.slice(0, 20)) out.push(`  - ${k.replaceAll('\t', '  ')}`);
    if (gained.length + lost.length > 40) out.push('  … (the JSON output lists them all)');
  }
  return `${out.join('\n')}\n`;
}
