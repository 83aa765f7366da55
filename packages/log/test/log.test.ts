import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, withContext } from '../src/index.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON lines with service, namespace and a textual level', async () => {
    const { lines, stream } = capture();
    createLogger({ service: 'collector', level: 'info', namespace: 'acme' }, stream).info('hello');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ service: 'collector', ns: 'acme', level: 'info', msg: 'hello' });
  });

  it('carries lead, event and partition context and leaves out what is unknown', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: 'ingest', level: 'info', namespace: 'acme' }, stream);
    withContext(log, { leadId: 'u1', eventId: 'm1', partition: 3, offset: undefined }).warn('late event');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ leadId: 'u1', eventId: 'm1', partition: 3 });
    expect(lines[0]).not.toHaveProperty('offset');
  });

  it('redacts passwords', async () => {
    const { lines, stream } = capture();
    createLogger({ service: 's', level: 'info', namespace: 'n' }, stream).info({ clickhouse: { password: 'hunter2' } }, 'cfg');
    await new Promise((r) => setImmediate(r));
    expect(JSON.stringify(lines[0])).not.toContain('hunter2');
  });
});
