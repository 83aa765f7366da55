import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative: @leadscore/tests does not depend on the collector package, so its bare name does not resolve here.
import { IMPORT_KEY, startTestCollector, type TestCollector } from '@leadscore/collector/test/support.ts';
import { readCsv } from '../read-csv.ts';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';

/**
 * `pnpm import:csv` end to end, per kind: a file with good, bad and repeated rows goes through the real CLI into a
 * real collector; good rows land in Kafka as the right events under deterministic messageIds, bad rows land in the
 * rejects file with their line and reason, and a second run of the same file sends the same messageIds again.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'import-kinds-'));

function writeFixture(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function importCsv(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(`${ROOT}node_modules/.bin/tsx`, ['scripts/import-csv.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The id a row must get: the kind, the key column and its normalized value, hashed. */
const idFor = (kind: string, by: string, value: string) => `import-${kind}-${createHash('sha256').update(`${kind}\0${by}\0${value}`).digest('hex').slice(0, 32)}`;

const lastLine = (stdout: string) => stdout.trimEnd().split('\n').at(-1);

async function rejectsOf(file: string) {
  const { header, rows } = await readCsv(file);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r.cells[i]])));
}

async function events(c: TestCollector, count: number) {
  const records = await readTopic(c.kafka, c.topics.events, count);
  return records.map((r) => ({ key: r.key, messageId: r.headers['message-id'], event: JSON.parse(r.value) as Record<string, unknown> }));
}

function byMessageId<T extends { messageId: string | undefined }>(records: T[]): Map<string | undefined, T[]> {
  const map = new Map<string | undefined, T[]>();
  for (const r of records) map.set(r.messageId, [...(map.get(r.messageId) ?? []), r]);
  return map;
}

describe('importing leads', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector(services().kafkaBrokers, { label: 'import_leads' });
  });
  afterAll(async () => {
    await c?.close();
  });

  const file = writeFixture(
    'leads.csv',
    [
      'Lead ID,First Name,Last Name,Email,Job Title,Company,Account ID,Lead Owner,Industry,Region,Lead Source,Created At',
      'L-1,Ann,Lee,Ann.Lee@Acme.example,CTO,Acme,A-1,Dana,Software,EMEA,Webinar,2025-02-03 09:15',
      ',Bo,Chen,BO@globex.example,"Head of IT, Ops",Globex,,Ravi,Manufacturing,APAC,Trade show,2025/03/10 14:30',
      'L-3,Cy,Ng,cy@,Buyer,Initech,,,,,,2025-01-01',
      ',Di,Fox,,Buyer,Initech,,,,,,2025-01-01',
      'L-1,Ann,Lee,ann.lee@acme.example,CEO,Acme,A-1,Dana,Software,EMEA,Webinar,2025-02-04',
      'L-6,"Eve',
      'Marie",Fox,eve@hooli.example,CFO,Hooli,A-9,,,,,not a date',
      'L-9,Fay,Gu,fay@hooli.example,CMO,Hooli,A-9,,,,,2025-05-05T10:00:00+08:00',
    ].join('\n'),
  );
  const mapping = writeFixture('leads-mapping.yaml', 'leads:\n  extra:\n    Lead Source: lead_source\n');
  const args = () => ['--kind', 'leads', file, '--mapping', mapping, '--collector', c.url, '--import-key', IMPORT_KEY];
  const goodIds = [idFor('leads', 'id', 'L-1'), idFor('leads', 'email', 'bo@globex.example'), idFor('leads', 'id', 'L-9')];
  let first: Awaited<ReturnType<typeof importCsv>>;

  beforeAll(async () => {
    first = await importCsv(args());
  });

  it('completes, counting rows read, accepted and rejected on the last line', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(lastLine(first.stdout)).toBe('rows=7 accepted=3 rejected=4');
  });

  it('sends good rows as identify calls with deterministic messageIds', async () => {
    const records = await events(c, 3);
    expect(records.map((r) => r.messageId).sort()).toEqual([...goodIds].sort());
    expect(records.find((r) => r.messageId === goodIds[0])?.event).toMatchObject({
      type: 'identify',
      userId: 'L-1',
      timestamp: '2025-02-03T09:15:00.000Z',
      traits: { email: 'ann.lee@acme.example', name: 'Ann Lee', firstName: 'Ann', lastName: 'Lee', title: 'CTO', company: 'Acme', owner: 'Dana', industry: 'Software', region: 'EMEA', lead_source: 'Webinar' },
      context: { groupId: 'A-1', library: { name: 'leadscore-import-csv' } },
      source: { id: 'crm', kind: 'import' },
    });
  });

  it('sends a lead without an id under its normalized email, keyed by it in Kafka', async () => {
    const record = (await events(c, 3)).find((r) => r.messageId === goodIds[1]);
    expect(record?.key).toBe('email:bo@globex.example');
    expect(record?.event).toMatchObject({ anonymousId: 'email:bo@globex.example', traits: { email: 'bo@globex.example', title: 'Head of IT, Ops' }, timestamp: '2025-03-10T14:30:00.000Z' });
  });

  it('reads a date with an offset as the instant it names', async () => {
    expect((await events(c, 3)).find((r) => r.messageId === goodIds[2])?.event.timestamp).toBe('2025-05-05T02:00:00.000Z');
  });

  it('writes bad and repeated rows to the rejects file with their line and reason', async () => {
    const rejects = await rejectsOf(`${file}.rejects.csv`);
    expect(rejects.map((r) => [r.line, r.reason?.split(':')[0]])).toEqual([
      ['4', 'invalid_email'],
      ['5', 'missing_key'],
      ['6', 'duplicate_key'],
      ['7', 'invalid_date'],
    ]);
    expect(rejects[2]?.reason).toBe('duplicate_key: repeats the id "L-1" of line 2; only the first is imported');
  });

  it('keeps each rejected row\'s original cells, line breaks included', async () => {
    const rejects = await rejectsOf(`${file}.rejects.csv`);
    expect(rejects[3]).toMatchObject({ 'Lead ID': 'L-6', 'First Name': 'Eve\nMarie', 'Created At': 'not a date' });
  });

  it('sends the same messageIds when the same file is imported again', async () => {
    const again = await importCsv(args());
    expect(lastLine(again.stdout)).toBe('rows=7 accepted=3 rejected=4');
    const ids = byMessageId(await events(c, 6));
    expect([...ids.keys()].sort()).toEqual([...goodIds].sort());
    for (const id of goodIds) expect(ids.get(id)?.map((r) => r.event.traits)).toEqual([ids.get(id)?.[0]?.event.traits, ids.get(id)?.[0]?.event.traits]);
  });
});

describe('importing companies', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector(services().kafkaBrokers, { label: 'import_companies' });
  });
  afterAll(async () => {
    await c?.close();
  });

  const file = writeFixture(
    'companies.csv',
    [
      'Account ID,Company Name,Website,Industry,Employees,Region,Account Owner,Created Date',
      'A-1,Acme,https://www.acme.example,Software,"1,200",EMEA,Dana,2024-11-05',
      ',Globex,globex.example,Manufacturing,51-200,APAC,Ravi,2024-12-01',
      ',Nameless,,Retail,10,NA,,2024-12-02',
      'A-4,Bad Domain Inc,not a domain,Retail,10,NA,,2024-12-02',
      'A-1,Acme Again,acme.example,Software,1300,EMEA,Dana,2024-11-06',
      'A-6,Too,many,fields,here,x,y,z,extra',
      'A-7,Initech,initech.example,Finance,340,EMEA,Dana,',
    ].join('\n'),
  );
  const rejectsFile = join(dir, 'companies-refused.csv');
  const args = () => ['--kind', 'companies', file, '--rejects', rejectsFile, '--collector', c.url, '--import-key', IMPORT_KEY];
  const goodIds = [idFor('companies', 'id', 'A-1'), idFor('companies', 'domain', 'globex.example'), idFor('companies', 'id', 'A-7')];
  let first: Awaited<ReturnType<typeof importCsv>>;
  const startedAt = Date.now();

  beforeAll(async () => {
    first = await importCsv(args());
  });

  it('completes, counting rows read, accepted and rejected on the last line', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(lastLine(first.stdout)).toBe('rows=7 accepted=3 rejected=4');
  });

  it('sends good rows as group calls with deterministic messageIds', async () => {
    const records = await events(c, 3);
    expect(records.map((r) => r.messageId).sort()).toEqual([...goodIds].sort());
    expect(records.find((r) => r.messageId === goodIds[0])?.event).toMatchObject({
      type: 'group',
      groupId: 'A-1',
      anonymousId: 'import:company:A-1',
      timestamp: '2024-11-05T00:00:00.000Z',
      traits: { name: 'Acme', domain: 'acme.example', industry: 'Software', employees: 1200, region: 'EMEA', owner: 'Dana' },
    });
  });

  it('makes a company without an id the group of its domain', async () => {
    expect((await events(c, 3)).find((r) => r.messageId === goodIds[1])?.event).toMatchObject({ groupId: 'domain:globex.example', traits: { employees: '51-200' } });
  });

  it('dates a company without a created date at the time of the import', async () => {
    const timestamp = (await events(c, 3)).find((r) => r.messageId === goodIds[2])?.event.timestamp as string;
    expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(startedAt - 1000);
  });

  it('writes bad and repeated rows to the --rejects file with their line and reason', async () => {
    expect((await rejectsOf(rejectsFile)).map((r) => [r.line, r.reason?.split(':')[0]])).toEqual([
      ['4', 'missing_key'],
      ['5', 'invalid_domain'],
      ['6', 'duplicate_key'],
      ['7', 'wrong_field_count'],
    ]);
  });

  it('says where the rejects file is', () => {
    expect(first.stdout).toContain(rejectsFile);
  });

  it('sends the same messageIds when the same file is imported again', async () => {
    expect((await importCsv(args())).code).toBe(0);
    const ids = byMessageId(await events(c, 6));
    expect([...ids.keys()].sort()).toEqual([...goodIds].sort());
    expect([...ids.values()].every((copies) => copies.length === 2)).toBe(true);
  });
});

describe('importing orders', () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector(services().kafkaBrokers, { label: 'import_orders' });
  });
  afterAll(async () => {
    await c?.close();
  });

  const file = writeFixture(
    'orders.csv',
    [
      'Order ID,Order Date,Customer Email,Customer ID,Account ID,Amount,Currency,Products',
      'SO-1,2025-01-15,ann.lee@acme.example,L-1,A-1,"12,500.00",USD,Platform; Onboarding',
      'SO-2,2025-03-02 10:45,BO@globex.example,,,980.5,eur,"[{""sku"":""SUP-1"",""price"":980.5,""quantity"":1}]"',
      'SO-3,2025-06-30T16:20:00Z,cy@initech.example,,,4200,,',
      'SO-4,2025-07-01,dd@initech.example,,,twelve,USD,',
      'SO-5,2025-07-01,ee@initech.example,,,10,XYZ,',
      'SO-6,,ff@initech.example,,,10,USD,',
      'SO-7,2025-07-01,,,,10,USD,',
      'SO-1,2025-01-15,ann.lee@acme.example,L-1,A-1,"12,500.00",USD,Platform; Onboarding',
      ',2025-07-01,x@initech.example,,,10,USD,',
    ].join('\r\n'),
  );
  const mapping = writeFixture('orders-mapping.yaml', 'orders:\n  columns:\n    email: Customer Email\n    user_id: Customer ID\n  currency: usd\n');
  const args = () => ['--kind', 'orders', file, '--mapping', mapping, '--collector', c.url, '--import-key', IMPORT_KEY];
  const goodIds = ['SO-1', 'SO-2', 'SO-3'].map((id) => idFor('orders', 'order_id', id));
  let first: Awaited<ReturnType<typeof importCsv>>;

  beforeAll(async () => {
    first = await importCsv(args());
  });

  it('completes, counting rows read, accepted and rejected on the last line', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(lastLine(first.stdout)).toBe('rows=9 accepted=3 rejected=6');
  });

  it('sends good rows as Order Completed with deterministic messageIds', async () => {
    const records = await events(c, 3);
    expect(records.map((r) => r.messageId).sort()).toEqual([...goodIds].sort());
    expect(records.find((r) => r.messageId === goodIds[0])?.event).toMatchObject({
      type: 'track',
      event: 'Order Completed',
      userId: 'L-1',
      timestamp: '2025-01-15T00:00:00.000Z',
      properties: { order_id: 'SO-1', revenue: 12500, currency: 'USD', products: [{ name: 'Platform' }, { name: 'Onboarding' }] },
      context: { groupId: 'A-1', traits: { email: 'ann.lee@acme.example' } },
    });
  });

  it('sends an order without a buyer id by the buyer\'s email, with its products', async () => {
    expect((await events(c, 3)).find((r) => r.messageId === goodIds[1])?.event).toMatchObject({
      anonymousId: 'email:bo@globex.example',
      timestamp: '2025-03-02T10:45:00.000Z',
      properties: { revenue: 980.5, currency: 'EUR', products: [{ sku: 'SUP-1', price: 980.5, quantity: 1 }] },
    });
  });

  it('takes the mapping\'s currency for an order without one', async () => {
    expect((await events(c, 3)).find((r) => r.messageId === goodIds[2])?.event).toMatchObject({ properties: { order_id: 'SO-3', revenue: 4200, currency: 'USD' } });
  });

  it('writes bad and repeated rows to the rejects file with their line and reason', async () => {
    expect((await rejectsOf(`${file}.rejects.csv`)).map((r) => [r.line, r.reason?.split(':')[0]])).toEqual([
      ['5', 'invalid_amount'],
      ['6', 'unknown_currency'],
      ['7', 'invalid_date'],
      ['8', 'missing_identity'],
      ['9', 'duplicate_key'],
      ['10', 'missing_key'],
    ]);
  });

  it('counts rejections by reason in the summary', () => {
    expect(first.stdout).toMatch(/invalid_amount +1/);
    expect(first.stdout).toMatch(/duplicate_key +1/);
  });

  it('sends the same messageIds when the same file is imported again', async () => {
    expect(lastLine((await importCsv(args())).stdout)).toBe('rows=9 accepted=3 rejected=6');
    const ids = byMessageId(await events(c, 6));
    expect([...ids.keys()].sort()).toEqual([...goodIds].sort());
    expect([...ids.values()].every((copies) => copies.length === 2)).toBe(true);
  });
});
