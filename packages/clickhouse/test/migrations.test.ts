import { describe, expect, it } from 'vitest';
import { readMigrations, renderMigration, MigrationError } from '../src/migrations.ts';
import { profileOfEvent } from '../src/analytic-queries.ts';

const text = `-- events as received
CREATE TABLE IF NOT EXISTS {{db}}.events {{on_cluster}} (id String, v UInt64)
ENGINE = {{engine:events:ReplacingMergeTree(v)}} ORDER BY id;
CREATE TABLE IF NOT EXISTS {{db}}.plain {{on_cluster}} (id String) ENGINE = {{engine:plain:MergeTree()}} ORDER BY id;
`;

describe('rendering migrations', () => {
  it('fills in the database and the engine for a single server', () => {
    expect(renderMigration(text, { database: 'acme' })).toEqual([
      'CREATE TABLE IF NOT EXISTS `acme`.events  (id String, v UInt64)\nENGINE = ReplacingMergeTree(v) ORDER BY id',
      'CREATE TABLE IF NOT EXISTS `acme`.plain  (id String) ENGINE = MergeTree() ORDER BY id',
    ]);
  });

  it('targets a cluster with Replicated engines and ON CLUSTER', () => {
    const [events, plain] = renderMigration(text, { database: 'acme', cluster: 'main' });
    expect(events).toContain('ON CLUSTER `main`');
    expect(events).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/acme/events', '{replica}', v)");
    expect(plain).toContain("ReplicatedMergeTree('/clickhouse/tables/{shard}/acme/plain', '{replica}')");
  });

  it('refuses an unknown placeholder', () => {
    expect(() => renderMigration('SELECT {{nope}}', { database: 'a' })).toThrow(MigrationError);
  });

  it('reads the project migrations in version order with stable checksums', () => {
    const migrations = readMigrations();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    expect(new Set(migrations.map((m) => m.version)).size).toBe(migrations.length);
  });
});

describe('the profile of an event', () => {
  it('is written in events_by_profile as the analytic queries define it', () => {
    const migration = readMigrations().find((m) => m.name === 'events_by_profile');
    expect(migration?.sql).toContain(`${profileOfEvent} AS profile`);
  });
});
