import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedEmailQuery } from '@leadscore/tracking';
import { freePort } from '../support/free-port.ts';
import { testNamespace } from '../support/namespace.ts';
import { services } from '../support/services.ts';

/**
 * Credentials come from the configuration only and never reach a log: the services run at debug level with a secret
 * in every secret variable, are used with them (and with wrong ones), and their whole output is searched for each.
 * The services write to ClickHouse as `pipeline`, the user limited to its deployment's database.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;
const run = promisify(execFile);
const ns = testNamespace('secrets');
const SECRETS = {
  COLLECTOR_WRITE_KEYS: 'web=wk_Zq81secret_web',
  COLLECTOR_IMPORT_KEYS: 'crm=ik_Zq82secret_import',
  COLLECTOR_LINK_SECRET: 'Zq83-link-secret-for-emails',
  API_TOKENS: 'ops=Zq84secretapitoken0000/admin',
  API_CHANGES_WEBHOOK_SECRET: 'Zq85-webhook-secret-value',
  ALERTS_SMTP_URL: 'smtp://mailer:Zq86smtppassword@127.0.0.1:2525',
  CLICKHOUSE_PASSWORD: 'pipeline-dev-password',
};
/** The strings that must appear nowhere: each secret as configured, and as a client sends it. */
const forbidden = ['wk_Zq81secret_web', 'ik_Zq82secret_import', 'Zq83-link-secret-for-emails', 'Zq84secretapitoken0000', 'Zq85-webhook-secret-value', 'Zq86smtppassword', 'pipeline-dev-password'];
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

let output = '';
const children: ChildProcess[] = [];
let collectorUrl = '';
let apiUrl = '';

function start(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  children.push(child);
  return child;
}
async function ready(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  const s = services();
  const [collectorPort, apiPort] = [await freePort(), await freePort()];
  const env = {
    ...SECRETS,
    NAMESPACE: ns,
    LOG_LEVEL: 'debug',
    KAFKA_BROKERS: s.kafkaBrokers.join(','),
    REDIS_URL: s.redisUrl,
    CLICKHOUSE_URL: s.clickhouseUrl,
    CLICKHOUSE_USER: 'pipeline',
    CLICKHOUSE_DATABASE: 'leadscore',
    API_CHANGES_WEBHOOK_URL: 'http://127.0.0.1:9/changes',
    COLLECTOR_PORT: String(collectorPort),
    API_PORT: String(apiPort),
  };
  // Migrations as the limited user: its own database is all it needs.
  const migrated = await run(tsx, ['scripts/migrate.ts'], { cwd: root, env: { ...process.env, ...env } });
  output += migrated.stdout + migrated.stderr;
  start('services/collector/src/main.ts', env);
  start('services/api/src/main.ts', env);
  collectorUrl = `http://127.0.0.1:${collectorPort}`;
  apiUrl = `http://127.0.0.1:${apiPort}`;
  await Promise.all([ready(`${collectorUrl}/readyz`), ready(`${apiUrl}/healthz`)]);

  // Use every credential, right and wrong.
  const track = (auth: string) => fetch(`${collectorUrl}/v1/track`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'ann', event: 'Viewed' }) });
  await track(basic('wk_Zq81secret_web'));
  await track(basic('wk_Zq81secret_wrong'));
  await fetch(`${collectorUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeKey: 'wk_Zq81secret_web', batch: [{ type: 'page', anonymousId: 'v1' }] }) });
  await fetch(`${collectorUrl}/v1/import`, { method: 'POST', headers: { authorization: basic('ik_Zq82secret_import'), 'content-type': 'application/json' }, body: JSON.stringify({ batch: [{ type: 'page', anonymousId: 'v2', timestamp: '2025-01-01T00:00:00Z' }] }) });
  const link = signedEmailQuery('open', { writeKey: 'wk_Zq81secret_web', emailId: 'm1', campaignId: 'c1', recipient: 'ann@acme.example', sentAt: Math.floor(Date.now() / 1000) - 3600 }, 'Zq83-link-secret-for-emails');
  await fetch(`${collectorUrl}/v1/email/open?${link}`);
  link.set('s', 'bad');
  await fetch(`${collectorUrl}/v1/email/open?${link}`);
  for (const token of ['Zq84secretapitoken0000', 'Zq84secretapitoken0001']) await fetch(`${apiUrl}/leads/u:ann`, { headers: { authorization: `Bearer ${token}` } });
  await fetch(`${apiUrl}/identity/conflicts`, { headers: { authorization: 'Bearer Zq84secretapitoken0000' } });
}, 120_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
});

describe('credentials', () => {
  it('appear in no log line of a run at debug level that used them, right and wrong', async () => {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))))));
    expect(output.length).toBeGreaterThan(1000);
    for (const secret of forbidden) {
      const at = output.indexOf(secret);
      expect(at, `${secret} appears in the logs: …${output.slice(Math.max(0, at - 100), at + 400)}…`).toBe(-1);
    }
  });
});

describe('the pipeline\'s ClickHouse user', () => {
  it('is refused any database but its own', async () => {
    const res = await fetch(`${services().clickhouseUrl}/?user=pipeline&password=pipeline-dev-password`, { method: 'POST', body: `CREATE DATABASE IF NOT EXISTS ${ns}` });
    expect(res.status).not.toBe(200);
    expect(await res.text()).toMatch(/Access denied to database/);
  });
});
