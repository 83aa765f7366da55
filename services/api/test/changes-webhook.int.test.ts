import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '@leadscore/channels';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { createChangesWebhook } from '../src/changes-webhook.ts';

/** The changes feed pushed to a CRM: signed, in order, each change at least once, a refused push sent again. */
const redis = createRedis(services().redisUrl, { connectionName: 'test-changes-webhook' });
const ns = testNamespace('changes_webhook');
const SECRET = 'whsec_changes_0123456789';
const received: { body: string; signature: string | undefined; key: string | undefined }[] = [];
let refuse = false;
const receiver = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    if (refuse) return res.writeHead(503).end();
    received.push({ body, signature: req.headers['x-leadscore-signature'] as string | undefined, key: req.headers['idempotency-key'] as string | undefined });
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/leads`;
const webhook = createChangesWebhook({ redis, namespace: ns, url, secret: SECRET, log: createLogger({ service: 'test', level: 'silent', namespace: ns }) });
const change = (lead: string) => redis.xadd(`${ns}:changes`, '*', 'change', JSON.stringify({ kind: 'tier', lead, from: 'hot', to: 'warm', cause: 'decay', at: new Date().toISOString() }));

afterAll(async () => {
  receiver.close();
  const keys = await redis.keys(`${ns}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('the changes webhook', () => {
  it('pushes new changes signed, in order, once delivered', async () => {
    await change('u:ann');
    await change('u:bob');
    expect(await webhook.push()).toBe(2);
    expect(received).toHaveLength(1);
    const [first] = received;
    expect(verifyWebhookSignature({ body: first?.body ?? '', header: first?.signature, secret: SECRET, now: Date.now() })).toEqual({ ok: true });
    expect(JSON.parse(first?.body ?? '{}').changes.map((c: { lead: string }) => c.lead)).toEqual(['u:ann', 'u:bob']);
    expect(await webhook.push()).toBe(0);
  });

  it('sends a refused push again on the next one', async () => {
    await change('u:cy');
    refuse = true;
    expect(await webhook.push()).toBe(0);
    refuse = false;
    expect(await webhook.push()).toBe(1);
    expect(JSON.parse(received.at(-1)?.body ?? '{}').changes.map((c: { lead: string }) => c.lead)).toEqual(['u:cy']);
  });
});
