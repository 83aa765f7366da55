import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative: @leadscore/tests does not depend on the collector package, so its bare name does not resolve here.
import { IMPORT_KEY, startTestCollector, type TestCollector } from '@leadscore/collector/test/support.ts';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';

/** The CLI's contract beyond the mapping of rows: exit codes, dry runs, the collector's refusals, retries, defaults. */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'import-cli-'));

function writeFixture(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function importCsv(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(`${ROOT}node_modules/.bin/tsx`, ['scripts/import-csv.ts', ...args], { cwd: ROOT, timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const lastLine = (stdout: string) => stdout.trimEnd().split('\n').at(-1);

const leads = (...emails: string[]) => ['Email,Job Title', ...emails.map((e) => `${e},CTO`)].join('\n');

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector(services().kafkaBrokers, { label: 'import_cli' });
});
afterAll(async () => {
  await c?.close();
});

describe('bad arguments', () => {
  it('end with status 2 and the usage', async () => {
    const run = await importCsv(['--kind', 'people', 'x.csv']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--kind must be one of leads, companies, orders[\s\S]*usage: pnpm import:csv/);
  });

  it('include a mapping file with an unknown key, named in the message', async () => {
    const mapping = writeFixture('bad-mapping.yaml', 'leads:\n  columns:\n    mail: E-mail\n');
    const run = await importCsv(['--kind', 'leads', writeFixture('m.csv', leads('a@acme.example')), '--mapping', mapping, '--dry-run']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('leads.columns.mail: unknown key');
  });

  it('include a file without the key column its kind needs', async () => {
    const run = await importCsv(['--kind', 'companies', writeFixture('nokey.csv', 'Name,Industry\nAcme,Software\n'), '--dry-run']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/companies need a column for id .* or domain/);
  });

  it('include a file that does not exist', async () => {
    const run = await importCsv(['--kind', 'leads', join(dir, 'missing.csv'), '--dry-run']);
    expect([run.code, run.stderr]).toEqual([2, expect.stringContaining('no such file')]);
  });
});

describe('a dry run', () => {
  it('checks every row and writes the rejects file but sends nothing', async () => {
    const file = writeFixture('dry.csv', leads('a@acme.example', 'not-an-email'));
    const run = await importCsv(['--kind', 'leads', file, '--dry-run', '--collector', c.url, '--import-key', IMPORT_KEY]);
    expect(run.code).toBe(0);
    expect(lastLine(run.stdout)).toBe('rows=2 accepted=0 rejected=1 valid=1 dry_run=1');
    expect(readFileSync(`${file}.rejects.csv`, 'utf8')).toContain('3,"invalid_email: email ""not-an-email"" is not an email address",not-an-email,CTO');
    expect(await readTopic(c.kafka, c.topics.events, 0, { settleMs: 500 })).toEqual([]);
  });
});

describe('a file that is not CSV', () => {
  it('ends with status 1 before anything is sent', async () => {
    const file = writeFixture('broken.csv', 'Email,Title\na@acme.example,CTO\nb@acme.example,"unclosed\n');
    const run = await importCsv(['--kind', 'leads', file, '--collector', c.url, '--import-key', IMPORT_KEY]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken\.csv:3: not readable as CSV, nothing was sent/);
    expect(await readTopic(c.kafka, c.topics.events, 0, { settleMs: 500 })).toEqual([]);
  });
});

describe('a wrong import key', () => {
  it('stops the import with status 1 and says which option to fix', async () => {
    const file = writeFixture('wrongkey.csv', leads('a@acme.example', 'bad@'));
    const run = await importCsv(['--kind', 'leads', file, '--collector', c.url, '--import-key', 'not_the_key']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused the import key \(401 unauthorized: .*\); give the right one with --import-key or IMPORT_KEY\n/);
  });

  it('still leaves the rows refused before sending in the rejects file', () => {
    expect(readFileSync(join(dir, 'wrongkey.csv.rejects.csv'), 'utf8')).toMatch(/^3,"invalid_email: email ""bad@""/m);
  });
});

describe('rows the collector refuses', () => {
  let strict: TestCollector;
  beforeAll(async () => {
    // A collector that allows no clock skew refuses what the importer's hour of slack lets through.
    strict = await startTestCollector(services().kafkaBrokers, { label: 'import_cli_strict', settings: { maxFutureMs: 0 } });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('count as rejected, with the collector\'s reason and field path in the rejects file', async () => {
    const soon = new Date(Date.now() + 30 * 60_000).toISOString();
    const file = writeFixture('future.csv', `Email,Created At\nnow@acme.example,2025-01-01\nsoon@acme.example,${soon}\n`);
    const run = await importCsv(['--kind', 'leads', file, '--collector', strict.url, '--import-key', IMPORT_KEY]);
    expect(run.code, run.stderr).toBe(0);
    expect(lastLine(run.stdout)).toBe('rows=2 accepted=1 rejected=1');
    expect(readFileSync(`${file}.rejects.csv`, 'utf8')).toMatch(/^3,timestamp_out_of_range: refused by the collector: timestamp: lies \d+ s in the future/m);
  });
});

describe('sending', () => {
  let proxy: Server;
  const requests: number[] = [];
  let proxyUrl: string;
  beforeAll(async () => {
    // Answers the first import 503 with Retry-After, as the collector does while Kafka is away; passes the rest on.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        requests.push(Buffer.concat(chunks).length);
        if (requests.length === 1) {
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"unavailable","message":"events could not be stored now; retry later"}');
          return;
        }
        const upstream = await fetch(`${c.url}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: String(req.headers.authorization) }, body: Buffer.concat(chunks) });
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy.close(resolve));
  });

  let run: Awaited<ReturnType<typeof importCsv>>;
  beforeAll(async () => {
    const file = writeFixture('retry.csv', leads('r1@acme.example', 'r2@acme.example', 'r3@acme.example', 'r4@acme.example', 'r5@acme.example'));
    run = await importCsv(['--kind', 'leads', file, '--collector', proxyUrl, '--import-key', IMPORT_KEY, '--batch-size', '2']);
  });

  it('retries a 503 after its Retry-After and completes', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(lastLine(run.stdout)).toBe('rows=5 accepted=5 rejected=0');
    expect(run.stderr).toMatch(/collector: 503 unavailable: events could not be stored now; retry later; attempt 2 in \d+\.\d s/);
    expect(run.ms).toBeGreaterThanOrEqual(1000);
  });

  it('splits the rows into requests of --batch-size messages', () => {
    // The refused first request, its retry, then two more.
    expect(requests).toHaveLength(4);
  });

  it('lands every row once the retry is through', async () => {
    const records = await readTopic(c.kafka, c.topics.events, 5);
    expect(records.map((r) => JSON.parse(r.value).traits.email).sort()).toEqual(['r1@acme.example', 'r2@acme.example', 'r3@acme.example', 'r4@acme.example', 'r5@acme.example']);
  });
});

describe('defaults from the environment', () => {
  it('find the collector and the import key as the collector is configured', async () => {
    const file = writeFixture('env.csv', 'Lead ID,Email\nenv-1,env@acme.example\n');
    const run = await importCsv(['--kind', 'leads', file], { COLLECTOR_PUBLIC_URL: c.url, IMPORT_KEY: '', COLLECTOR_IMPORT_KEYS: `crm=${IMPORT_KEY},other=other_key_123` });
    expect(run.code, run.stderr).toBe(0);
    expect(lastLine(run.stdout)).toBe('rows=1 accepted=1 rejected=0');
    expect(existsSync(`${file}.rejects.csv`)).toBe(true);
  });
});
