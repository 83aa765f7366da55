import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetter, encodeDeadLetter } from '@leadscore/events';
import { ingestWorld, type IngestWorld } from '@leadscore/ingest/test/support.ts';
import { readProfile } from '@leadscore/portrait';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let world: IngestWorld;
beforeAll(async () => {
  world = await ingestWorld(services(), 'dlq_replay', 2);
  const producer = world.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: world.topics.eventsDeadLetter,
    messages: [
      // Refused by an older collector that took analytics.js's "userId": null as invalid; valid since the fix.
      encodeDeadLetter(
        deadLetter({
          reason: 'invalid_message',
          message: 'userId: Invalid input',
          issues: [{ path: 'userId', message: 'Invalid input' }],
          stage: 'collector',
          sourceId: 'web',
          original: JSON.stringify({ type: 'page', userId: null, anonymousId: 'v-replay', messageId: 'replay-1', name: 'Pricing' }),
          messageId: 'replay-1',
        }),
      ),
      encodeDeadLetter(deadLetter({ reason: 'invalid_json', message: 'not JSON', stage: 'ingest', original: '{broken', origin: { topic: world.topics.events, partition: 0, offset: '7', key: 'x' } })),
    ],
  });
  await producer.disconnect();
});
afterAll(async () => {
  await world?.close();
});

async function replay(...args: string[]) {
  const { stdout, stderr } = await run(`${ROOT}node_modules/.bin/tsx`, ['scripts/dlq-replay.ts', ...args], { cwd: ROOT, env: { ...process.env, ...world.env } });
  return { stdout, stderr, last: stdout.trim().split('\n').at(-1) };
}

describe('pnpm dlq:replay', () => {
  it('sends what passes validation now to the events topic and leaves what fails again, with its reason', async () => {
    const result = await replay();
    expect(result.last).toBe('replayed=1 failed=1 skipped=0');
    expect(result.stderr).toMatch(/still refused: .*invalid_json/);
    const events = await readTopic(world.kafka, world.topics.events, 1);
    expect(JSON.parse(events[0]!.value)).toMatchObject({ messageId: 'replay-1', anonymousId: 'v-replay', type: 'page' });
  });

  it('replays only the reasons asked for', async () => {
    expect((await replay('--reason', 'invalid_json')).last).toBe('replayed=0 failed=1 skipped=1');
  });

  it('changes no count when replayed again', async () => {
    await replay();
    const worker = await world.startWorker();
    await world.caughtUp();
    await worker.stop();
    expect((await readProfile(world.redis, world.ns, 'a:v-replay')).counts).toEqual({ page: 1 });
  });

  it('refuses an unknown reason with usage', async () => {
    await expect(replay('--reason', 'nope')).rejects.toMatchObject({ code: 2 });
  });
});
