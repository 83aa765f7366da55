import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { alertMessageSchema, type AlertMessage } from '../src/index.ts';

/** The fixed inputs of the golden tests: a streak alert for a lead at a Chinese company, a fixed clock and secrets. */
export const NOW = new Date('2026-11-25T01:30:05.000Z');
export const NOW_SECONDS = 1_795_570_205;
export const WEBHOOK_SECRET = 'whsec_golden_0123456789';
export const FEISHU_SECRET = 'feishu-golden-secret';
export const DINGTALK_SECRET = 'SECgolden0123456789abcdef';
export const DINGTALK_URL = 'https://oapi.dingtalk.com/robot/send?access_token=golden-token';

const goldenDir = new URL('./golden/', import.meta.url);

export function goldenMessage(): AlertMessage {
  return alertMessageSchema.parse(JSON.parse(readFileSync(new URL('message.json', goldenDir), 'utf8')));
}

/** A variant of the fixture, e.g. `withLead({ name: '<script>' })`. */
export function withLead(lead: Partial<AlertMessage['lead']>): AlertMessage {
  const m = goldenMessage();
  return { ...m, lead: { ...m.lead, ...lead } };
}

/**
 * Compares with the checked-in fixture. `UPDATE_GOLDEN=1` rewrites it instead: only after reading the new output
 * by eye, since the fixture is then the specification.
 */
export function expectGolden(name: string, actual: unknown): void {
  const file = fileURLToPath(new URL(name, goldenDir));
  const text = typeof actual === 'string' ? actual : `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(file, text);
    return;
  }
  const expected = readFileSync(file, 'utf8');
  if (typeof actual === 'string') expect(actual).toBe(expected);
  else expect(actual).toEqual(JSON.parse(expected));
}
