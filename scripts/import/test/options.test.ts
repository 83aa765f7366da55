import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { defaultCollectorUrl, defaultImportKey, HELP, parseOptions } from '../options.ts';

const parse = (argv: string, env: Record<string, string> = {}) => parseOptions(argv.split(' ').filter(Boolean), env);

describe('command-line options', () => {
  it('need a kind and one file', () => {
    expect(parse('--kind leads a.csv')).toMatchObject({ kind: 'leads', file: 'a.csv', dryRun: false, batchSize: 500 });
  });

  it('take every documented option', () => {
    expect(parse('--kind orders o.csv --mapping m.yaml --rejects r.csv --collector http://c:1 --import-key ik_x --batch-size 20 --dry-run')).toEqual({
      kind: 'orders',
      file: 'o.csv',
      mapping: 'm.yaml',
      rejects: 'r.csv',
      collector: 'http://c:1',
      importKey: 'ik_x',
      batchSize: 20,
      dryRun: true,
    });
  });

  it('answer --help', () => {
    expect(parse('--help')).toBe(HELP);
  });

  it.each([
    ['', /--kind is required/],
    ['--kind leads', /name the CSV file/],
    ['--kind people a.csv', /--kind must be one of leads, companies, orders/],
    ['--kind leads a.csv b.csv', /one CSV file at a time/],
    ['--kind leads a.csv --colector http://x', /Unknown option '--colector'/],
    ['--kind leads a.csv --collector ftp://x', /--collector: expected an http\(s\) URL/],
    ['--kind leads a.csv --batch-size 0', /--batch-size/],
    ['--kind leads a.csv --batch-size 3000', /--batch-size/],
  ])('refuse %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });
});

describe('the collector URL by default', () => {
  it('is COLLECTOR_PUBLIC_URL', () => {
    expect(defaultCollectorUrl({ COLLECTOR_PUBLIC_URL: 'https://collect.example', COLLECTOR_PORT: '9000' })).toBe('https://collect.example');
  });

  it('is else the local collector on COLLECTOR_PORT', () => {
    expect(defaultCollectorUrl({ COLLECTOR_PORT: '9000' })).toBe('http://127.0.0.1:9000');
  });

  it('is else the local collector on 8088', () => {
    expect(defaultCollectorUrl({ COLLECTOR_PUBLIC_URL: '' })).toBe('http://127.0.0.1:8088');
  });

  it('refuses a COLLECTOR_PORT that is not a port, naming it', () => {
    expect(() => defaultCollectorUrl({ COLLECTOR_PORT: 'http' })).toThrow(/COLLECTOR_PORT is invalid/);
  });
});

describe('the import key by default', () => {
  it('is IMPORT_KEY', () => {
    expect(defaultImportKey({ IMPORT_KEY: 'ik_mine', COLLECTOR_IMPORT_KEYS: 'crm=ik_theirs_123' })).toBe('ik_mine');
  });

  it('is else the first key of COLLECTOR_IMPORT_KEYS', () => {
    expect(defaultImportKey({ COLLECTOR_IMPORT_KEYS: 'crm=ik_crm_12345, erp=ik_erp_12345' })).toBe('ik_crm_12345');
  });

  it('is else the development key', () => {
    expect(defaultImportKey({})).toBe('dev_import_key');
  });

  it('refuses a COLLECTOR_IMPORT_KEYS not in source=key form, naming it', () => {
    expect(() => defaultImportKey({ COLLECTOR_IMPORT_KEYS: 'just-a-key' })).toThrow(/COLLECTOR_IMPORT_KEYS is invalid/);
  });
});
