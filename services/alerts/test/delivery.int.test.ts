import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '@leadscore/channels';
import { companyKeys, encodeState, encodeTrait, profileKeys } from '@leadscore/portrait';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { ALERTS_QUEUE, alertJobId, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { createRedis } from '@leadscore/redis';
import { defaultRules } from '@leadscore/scoring';
import { freePort } from '@leadscore/tests/support/free-port.ts';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET = 'whsec_test_0123456789';
const ns = testNamespace('alerts');

interface Received {
  path: string;
  body: string;
  verified: boolean;
  idempotencyKey: string | undefined;
}

/** A local receiver: verifies every signature and answers from a script per path (default 200). */
let receiver: Server;
let receiverPort: number;
const received: Received[] = [];
const script = new Map<string, number[]>();
/** Connections the receiver accepted: kept alive, many deliveries share one. */
let connections = 0;
let worker: ChildProcess;
let output = '';
let queue: Queue;
const redis = () => createRedis(services().redisUrl);
let r: ReturnType<typeof redis>;

async function startReceiver() {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (c) => (body += c));
    request.on('end', () => {
      const path = request.url ?? '/';
      const verified = verifyWebhookSignature({ header: String(request.headers['x-leadscore-signature'] ?? ''), body, secret: SECRET, now: Date.now() }).ok;
      const planned = script.get(path) ?? [];
      const status = planned.length > 0 ? (planned.shift() as number) : 200;
      received.push({ path, body, verified, idempotencyKey: request.headers['idempotency-key'] as string | undefined });
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', () => resolve()));
}

function job(lead: string, rule: string, window: string): HotLeadJob {
  return { lead, rule, kind: 'streak', window, action: 'call today', evidence: { days: ['2026-11-23', '2026-11-24', '2026-11-25'], consecutiveDays: 3, timeZone: 'UTC' }, messageId: `m-${window}`, rulesVersion: 'test', firedAt: new Date().toISOString() };
}

async function enqueue(j: HotLeadJob): Promise<string> {
  const id = alertJobId(j.lead, j.rule, j.window);
  await queue.add(j.rule, j, { jobId: id, attempts: 3, backoff: { type: 'custom' }, removeOnFail: false });
  return id;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

beforeAll(async () => {
  receiverPort = await freePort();
  await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'alerts-'));
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(
    rulesFile,
    stringify({
      ...defaultRules,
      routing: {
        channels: {
          sales: { type: 'webhook', url: `http://127.0.0.1:${receiverPort}/sales`, secretEnv: 'TEST_HOOK_SECRET' },
          ann: { type: 'webhook', url: `http://127.0.0.1:${receiverPort}/ann`, secretEnv: 'TEST_HOOK_SECRET' },
          flaky: { type: 'webhook', url: `http://127.0.0.1:${receiverPort}/flaky`, secretEnv: 'TEST_HOOK_SECRET' },
          daily: { type: 'webhook', url: `http://127.0.0.1:${receiverPort}/daily`, secretEnv: 'TEST_HOOK_SECRET', digest: '2s' },
          console: { type: 'log' },
        },
        routes: [
          { id: 'ann-accounts', when: { owner: 'Ann Rep' }, channels: ['ann'] },
          { id: 'flaky-rule', when: { rule: 'flaky' }, channels: ['flaky'] },
          { id: 'digested', when: { rule: 'digested' }, channels: ['daily'] },
        ],
        default: ['sales', 'console'],
      },
    }),
  );
  r = redis();
  queue = new Queue(ALERTS_QUEUE, { connection: redis(), prefix: alertsQueuePrefix(ns) });
  const s = services();
  worker = spawn(process.execPath, ['--import', 'tsx', 'services/alerts/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NAMESPACE: ns,
      REDIS_URL: s.redisUrl,
      CLICKHOUSE_URL: s.clickhouseUrl,
      RULES_FILE: rulesFile,
      TEST_HOOK_SECRET: SECRET,
      ALERTS_BACKOFF_MS: '50',
      ALERTS_MAX_BACKOFF_MS: '200',
      ALERTS_METRICS_PORT: '0',
      ALERTS_REFUSE_PRIVATE_TARGETS: 'false',
      ALERTS_DIGEST_TICK_MS: '300',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout?.on('data', (d) => (output += d));
  worker.stderr?.on('data', (d) => (output += d));
  await until('the alerts worker', async () => (output.includes('alerts worker running') ? true : undefined));
  // A portrait as the ingest workers write it: a lead at a company owned by Ann.
  const t = Date.now();
  await r.hset(profileKeys(ns, 'u:owned').state, encodeState({ company: { id: 'acme', at: t } }));
  await r.hset(companyKeys(ns, 'acme').traits, 'owner', encodeTrait(t, 'Ann Rep'), 'name', encodeTrait(t, '北京星河科技'));
}, 60_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  await queue?.close();
  receiver?.close();
  const keys = await r.keys(`*${ns}*`);
  for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
  r?.disconnect();
  const ch = createClickHouse({ url: services().clickhouseUrl, user: 'default', password: '' });
  assertTestNamespace(ns);
  await ch.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
  await ch.close();
});

describe('delivering hot-lead alerts', () => {
  it('delivers a signed webhook that the receiver verifies, with the idempotency key', async () => {
    const id = await enqueue(job('u:ann', 'pricing-streak', 'run-1'));
    const got = await until('the delivery', async () => received.find((x) => x.idempotencyKey === id));
    expect(got).toMatchObject({ path: '/sales', verified: true });
    expect(JSON.parse(got.body)).toMatchObject({ idempotencyKey: id, rule: { id: 'pricing-streak', action: 'call today' }, lead: { id: 'u:ann' } });
  });

  it('delivers once after a receiver answered 500 twice', async () => {
    script.set('/flaky', [500, 500]);
    const id = await enqueue(job('u:bob', 'flaky', 'run-2'));
    await until('delivery after retries', async () => (received.filter((x) => x.idempotencyKey === id).length >= 3 ? true : undefined));
    await until('the job completed', async () => ((await queue.getJob(id))?.finishedOn ? true : undefined));
    await new Promise((res) => setTimeout(res, 500));
    expect(received.filter((x) => x.idempotencyKey === id && x.path === '/flaky')).toHaveLength(3);
    expect((await queue.getJob(id))?.returnvalue).toEqual({ delivered: ['flaky'] });
  });

  it('keeps a job failed with its reason when the receiver stays down, and redelivers it once on command', async () => {
    script.set('/flaky', [503, 503, 503]);
    const id = await enqueue(job('u:cy', 'flaky', 'run-3'));
    const failed = await until('the job to fail', async () => {
      const j = await queue.getJob(id);
      return (await j?.isFailed()) ? j : undefined;
    });
    expect(failed?.failedReason).toMatch(/flaky: .*503/);
    const listed = await promisify(execFile)(`${ROOT}node_modules/.bin/tsx`, ['scripts/alerts.ts', 'failed'], { cwd: ROOT, env: { ...process.env, NAMESPACE: ns, REDIS_URL: services().redisUrl } });
    expect(listed.stdout).toContain(id);
    const before = received.filter((x) => x.idempotencyKey === id).length;
    await promisify(execFile)(`${ROOT}node_modules/.bin/tsx`, ['scripts/alerts.ts', 'redeliver', id], { cwd: ROOT, env: { ...process.env, NAMESPACE: ns, REDIS_URL: services().redisUrl } });
    await until('the redelivered job', async () => ((await (await queue.getJob(id))?.isCompleted()) ? true : undefined));
    expect(received.filter((x) => x.idempotencyKey === id)).toHaveLength(before + 1);
  });

  it('delivers the same job enqueued twice once', async () => {
    const j = job('u:dee', 'pricing-streak', 'run-4');
    const id = await enqueue(j);
    await enqueue(j);
    await until('the delivery', async () => ((await (await queue.getJob(id))?.isCompleted()) ? true : undefined));
    // Even after the job is gone and added again (a crash between the outbox steps), the service remembers.
    await (await queue.getJob(id))?.remove();
    await enqueue(j);
    await until('the second job to finish', async () => ((await (await queue.getJob(id))?.isCompleted()) ? true : undefined));
    expect(received.filter((x) => x.idempotencyKey === id)).toHaveLength(1);
  });

  it('sends consecutive alerts to one receiver over one kept-alive connection', async () => {
    const before = connections;
    for (let i = 0; i < 4; i++) {
      const id = await enqueue(job(`u:keep-${i}`, 'pricing-streak', `keep-${i}`));
      await until('the delivery', async () => ((await (await queue.getJob(id))?.isCompleted()) ? true : undefined));
    }
    // One if the connection of an earlier test had timed out meanwhile, none if it is still open.
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it("routes an alert for a company owned by one rep to that rep's channel only", async () => {
    const id = await enqueue(job('u:owned', 'pricing-streak', 'run-5'));
    await until('the delivery', async () => ((await (await queue.getJob(id))?.isCompleted()) ? true : undefined));
    expect(received.filter((x) => x.idempotencyKey === id).map((x) => x.path)).toEqual(['/ann']);
    expect(JSON.parse(received.find((x) => x.idempotencyKey === id)!.body).lead.company).toMatchObject({ id: 'acme', name: '北京星河科技', owner: 'Ann Rep' });
  });

  it('gathers the alerts of a channel in digest mode and sends them together, once, signed', async () => {
    const ids = [await enqueue(job('u:e1', 'digested', 'd-1')), await enqueue(job('u:e2', 'digested', 'd-2')), await enqueue(job('u:e3', 'digested', 'd-3'))];
    const digest = await until('the digest', async () => received.find((x) => x.path === '/daily'));
    await new Promise((res) => setTimeout(res, 2500));
    const all = received.filter((x) => x.path === '/daily');
    expect(all).toHaveLength(1);
    expect(digest.verified).toBe(true);
    const body = JSON.parse(digest.body);
    expect(body.rule.kind).toBe('digest');
    expect(body.why.evidence.idempotencyKeys.sort()).toEqual([...ids].sort());
    expect(body.why.evidence.alerts).toHaveLength(3);
  });

  it('records every attempt in ClickHouse', async () => {
    const ch = createClickHouse({ url: services().clickhouseUrl, user: 'default', password: '' });
    // Attempts are written in batches every half second.
    await new Promise((res) => setTimeout(res, 1000));
    const rows = (await (await ch.query({ query: `SELECT channel, outcome, count() AS n FROM ${ns}.alert_deliveries GROUP BY channel, outcome ORDER BY channel, outcome`, format: 'JSONEachRow' })).json()) as { channel: string; outcome: string; n: string }[];
    await ch.close();
    expect(rows).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'flaky', outcome: 'retry' }), expect.objectContaining({ channel: 'flaky', outcome: 'delivered' }), expect.objectContaining({ channel: 'ann', outcome: 'delivered', n: '1' })]));
  });
});
