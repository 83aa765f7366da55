import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '@leadscore/events';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld } from './support.ts';

/**
 * An events topic whose group has no offsets (they expired) and whose records reach back beyond the dedup window: a
 * worker refuses to read it from the beginning unless told how to start.
 */
const DAY = 86_400_000;
let world: IngestWorld;
const visit = (id: string, producedMsAgo: number) => ({ ...encodeEvent(tracked({ type: 'page', messageId: id, userId: 'ann', name: 'Home', timestamp: new Date(Date.now() - producedMsAgo).toISOString() })), timestamp: String(Date.now() - producedMsAgo) });

beforeAll(async () => {
  world = await ingestWorld(services(), 'start_guard', 1);
  // Two records produced three days ago, one now; the workers remember messages for one day.
  await world.produce([visit('old-1', 3 * DAY), visit('old-2', 3 * DAY), visit('new-1', 0)]);
}, 60_000);
afterAll(async () => {
  await world?.close();
});

describe('a worker whose group has no committed offsets', () => {
  it('refuses to read records older than the dedup window, saying how to go on', async () => {
    await expect(world.startWorker({ INGEST_DEDUP_WINDOW_DAYS: '1' })).rejects.toThrow(/exited with 78[\s\S]*partitions 0 \(2 records\) have no committed offset[\s\S]*INGEST_START_WITHOUT_OFFSETS=dedup-window/);
  });

  it('starts at the first record within the window when told to', async () => {
    const worker = await world.startWorker({ INGEST_DEDUP_WINDOW_DAYS: '1', INGEST_START_WITHOUT_OFFSETS: 'dedup-window' });
    await world.caughtUp(30_000);
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts).toEqual({ page: 1 });
    await worker.stop();
  });
});
