import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '@leadscore/config';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;

/** Every entry point that reads the configuration; later services join this list. */
const entryPoints = ['scripts/migrate.ts', 'scripts/dlq-replay.ts', 'scripts/alerts.ts failed', 'services/collector/src/main.ts', 'services/ingest/src/main.ts', 'services/alerts/src/main.ts', 'services/rollups/src/main.ts', 'scripts/rollup.ts', 'services/api/src/main.ts'];

describe('a bad variable stops a process with a message naming it', () => {
  for (const entry of entryPoints) {
    it(`${entry} exits ${EXIT_CONFIG} and names KAFKA_BROKERS`, async () => {
      const result = await run(tsx, entry.split(' '), { cwd: root, env: { ...process.env, KAFKA_BROKERS: 'no-port-here' } }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(result.code).toBe(EXIT_CONFIG);
      expect(result.stderr).toMatch(/KAFKA_BROKERS="no-port-here": expected host:port/);
    });
  }
});
