import { defineConfig } from 'vitest/config';

/**
 * Test tiers by file suffix: `*.test.ts` pure and fast (no services), `*.int.test.ts` against real Kafka, Redis and
 * ClickHouse, `*.e2e.test.ts` the whole pipeline. Each file takes its own namespace, so files run in parallel.
 */
const where = ['packages', 'services', 'scripts', 'tests'].map((d) => `${d}/**`);

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: where.map((w) => `${w}/*.test.ts`),
          exclude: ['**/node_modules/**', '**/*.int.test.ts', '**/*.e2e.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'int',
          include: where.flatMap((w) => [`${w}/*.int.test.ts`, `${w}/*.e2e.test.ts`]),
          exclude: ['**/node_modules/**'],
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
