import { describe, expect, it } from 'vitest';
import { planColumns, rowValues } from '../columns.ts';
import { ColumnsError } from '../errors.ts';
import { headerKey } from '../kinds.ts';
import { DEFAULT_MAPPING, parseMapping } from '../mapping.ts';

const mapping = (yaml: string) => parseMapping(yaml, 'm.yaml');

describe('matching a file\'s header to fields', () => {
  it('compares header names without case, spaces or punctuation', () => {
    expect(headerKey(' E-Mail ')).toBe(headerKey('email'));
    expect(headerKey('Job_Title')).toBe(headerKey('JOB TITLE'));
  });

  it('recognises common CRM headers without a mapping', () => {
    const plan = planColumns('leads', ['E-mail', 'Job Title', 'Lead Owner', 'Company', 'Industry', 'Region'], DEFAULT_MAPPING);
    expect(plan.fields).toEqual({ email: 0, title: 1, owner: 2, company: 3, industry: 4, region: 5 });
  });

  it('recognises order headers without a mapping', () => {
    const plan = planColumns('orders', ['order id', 'AMOUNT', 'Currency', 'Order Date', 'Email'], DEFAULT_MAPPING);
    expect(plan.fields).toEqual({ order_id: 0, revenue: 1, currency: 2, date: 3, email: 4 });
  });

  it('recognises company size from an Employees column', () => {
    expect(planColumns('companies', ['Domain', 'Employees'], DEFAULT_MAPPING).fields).toEqual({ domain: 0, size: 1 });
  });

  it('prefers the earlier built-in name when a file has two', () => {
    expect(planColumns('orders', ['Order ID', 'Created At', 'Order Date', 'Amount', 'Email'], DEFAULT_MAPPING).fields.date).toBe(2);
  });

  it('uses the mapping file\'s header over the built-in one', () => {
    const plan = planColumns('leads', ['Email', 'Work E-mail'], mapping('leads:\n  columns:\n    email: work e-mail\n'));
    expect(plan.fields.email).toBe(1);
  });

  it('does not give a column the mapping claimed to another field by default', () => {
    const plan = planColumns('leads', ['Email', 'Company'], mapping('leads:\n  columns:\n    name: Company\n'));
    expect(plan.fields).toEqual({ email: 0, name: 1 });
  });

  it('leaves a field unmapped when the mapping says null', () => {
    expect(planColumns('leads', ['Email', 'Region'], mapping('leads:\n  columns:\n    region: null\n')).fields).toEqual({ email: 0 });
  });

  it('names the mapping key whose column is not in the file', () => {
    expect(() => planColumns('leads', ['Email'], mapping('leads:\n  columns:\n    owner: Sales Rep\n'))).toThrow(/leads\.columns\.owner: no column "Sales Rep" in the file/);
  });

  it('names an extra column that is not in the file', () => {
    expect(() => planColumns('leads', ['Email'], mapping('leads:\n  extra:\n    Source: source\n'))).toThrow(/leads\.extra\.Source: no column "Source"/);
  });

  it('refuses a leads file with neither an id nor an email column', () => {
    expect(() => planColumns('leads', ['Name', 'Title'], DEFAULT_MAPPING)).toThrow(ColumnsError);
  });

  it('refuses an orders file without an amount column, listing the names it looked for', () => {
    expect(() => planColumns('orders', ['Order ID', 'Email'], DEFAULT_MAPPING)).toThrow(/revenue \("Revenue", "Amount"/);
  });

  it('lists the file\'s columns in the error', () => {
    expect(() => planColumns('companies', ['Name', 'Industry'], DEFAULT_MAPPING)).toThrow(/the file's columns: "Name", "Industry"/);
  });
});

describe('a row\'s values', () => {
  const plan = planColumns('leads', ['Email', 'Title', 'Source'], mapping('leads:\n  extra:\n    Source: lead_source\n'));

  it('are trimmed', () => {
    expect(rowValues(plan, ['  ann@acme.example ', 'CTO', 'web']).fields).toEqual({ email: 'ann@acme.example', title: 'CTO' });
  });

  it('leave out empty cells', () => {
    expect(rowValues(plan, ['ann@acme.example', '   ', '']).fields).toEqual({ email: 'ann@acme.example' });
  });

  it('carry extra columns under their trait names', () => {
    expect(rowValues(plan, ['ann@acme.example', '', 'webinar']).extra).toEqual({ lead_source: 'webinar' });
  });
});
