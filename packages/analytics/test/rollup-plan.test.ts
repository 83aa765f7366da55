import { describe, expect, it } from 'vitest';
import { loadConfig } from '@leadscore/config';
import { ConfigError } from '@leadscore/config';
import { partitionId, planRollup, publishSnapshot, readSummary, rollupSettings, rollupSettingsFromConfig, snapshotTime, summaryQueries } from '../src/index.ts';

const target = { database: 'acme', asOf: new Date('2026-06-30T12:00:00.750Z'), settings: rollupSettings({ rates: { EUR: 1.08 } }) };

describe('a rollup plan', () => {
  it('clears, stages links, orders, buyers, leads and companies, publishes and tidies, in that order', () => {
    expect(planRollup(target).map((s) => s.name)).toEqual(['clear', 'links', 'orders', 'buyers', 'leads', 'company_buyers', 'companies', 'publish', 'tidy']);
  });

  it('publishes every snapshot table from its staging twin, one partition per reference time, and empties one with nothing staged', () => {
    expect(publishSnapshot(target, { rollup_orders: 5, rollup_leads: 3, rollup_companies: 0 })).toEqual([
      "ALTER TABLE `acme`.`rollup_orders` REPLACE PARTITION ID '1782820800' FROM `acme`.`rollup_orders_staging`",
      "ALTER TABLE `acme`.`rollup_leads` REPLACE PARTITION ID '1782820800' FROM `acme`.`rollup_leads_staging`",
      "ALTER TABLE `acme`.`rollup_companies` DROP PARTITION ID '1782820800'",
    ]);
  });

  it('uses nothing ClickHouse 18.16 lacks: no CTEs, window functions, query parameters or DateTime64', () => {
    const staged = { rollup_orders: 1, rollup_leads: 1, rollup_companies: 1 };
    const all = [...planRollup(target).flatMap((s) => (typeof s.statements === 'function' ? s.statements(staged) : s.statements)), ...Object.values(summaryQueries(target))].join('\n');
    expect(all).not.toMatch(/\bWITH\s+\w+\s+AS\s*\(/i);
    expect(all).not.toMatch(/\bOVER\s*\(/i);
    expect(all).not.toMatch(/\{\w+:\w+\}/);
    expect(all).not.toMatch(/DateTime64|LowCardinality|JSONExtract/);
  });

  it('takes reference times to the whole second', () => {
    expect(snapshotTime(target.asOf).toISOString()).toBe('2026-06-30T12:00:00.000Z');
    expect(partitionId(target.asOf)).toBe('1782820800');
  });
});

describe('a rollup summary', () => {
  it('reads each named query by its columns', () => {
    const summary = readSummary(target, {
      leads: [{ leads: '10', buyers: '6', revenue: 578 }],
      companies: [{ companies: '2', buyers: '1' }],
      orders: [{ counted: '8', anonymous: '1', refunded: '1', unrated_refunds: '0' }],
      unrated: [{ currency: 'JPY', orders: '1', amount: 5000 }],
      unmatchedRefunds: [{ unmatched: '2' }],
      stages: [{ name: 'new', leads: '3' }],
      classes: [],
      segments: [],
    });
    expect(summary).toMatchObject({ leads: 10, buyers: 6, revenue: 578, orders: 8, anonymousOrders: 1, unmatchedRefunds: 2, unrated: [{ currency: 'JPY', orders: 1, amount: 5000 }], stages: [{ name: 'new', leads: 3 }] });
  });
});

describe('rollup settings from the configuration', () => {
  it('takes the days zone, free-mail domains and ROLLUP_* values', () => {
    const settings = rollupSettingsFromConfig(loadConfig({ TIME_ZONE: 'Asia/Shanghai', ROLLUP_RATES: 'CNY=0.14', ROLLUP_WINDOW_DAYS: '180' }), () => '');
    expect(settings).toMatchObject({ timeZone: 'Asia/Shanghai', rates: { CNY: 0.14 }, windowDays: 180, reportingCurrency: 'USD', abc: { a: 0.8, b: 0.95 } });
    expect(settings.freeMailDomains).toContain('gmail.com');
  });

  it('stops on a segment map file that does not cover every code, naming the variable', () => {
    const config = loadConfig({ ROLLUP_SEGMENT_MAP_FILE: '/etc/segments.json' });
    const attempt = () => rollupSettingsFromConfig(config, () => JSON.stringify({ Everyone: ['555'] }));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/ROLLUP_SEGMENT_MAP_FILE="\/etc\/segments.json": codes without a segment/);
  });
});
