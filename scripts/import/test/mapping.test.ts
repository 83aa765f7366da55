import { describe, expect, it } from 'vitest';
import { MappingError } from '../errors.ts';
import { DEFAULT_MAPPING, parseMapping } from '../mapping.ts';

function problemsOf(text: string) {
  try {
    parseMapping(text, 'm.yaml');
  } catch (err) {
    if (err instanceof MappingError) return err.problems;
    throw err;
  }
  throw new Error('expected a MappingError');
}

describe('the mapping file', () => {
  it('maps a kind\'s fields to column headers', () => {
    const m = parseMapping('leads:\n  columns:\n    email: E-mail Address\n    owner: Sales Rep\n', 'm.yaml');
    expect(m.leads?.columns).toEqual({ email: 'E-mail Address', owner: 'Sales Rep' });
  });

  it('turns a built-in header off with null', () => {
    const m = parseMapping('companies:\n  columns:\n    domain: null\n', 'm.yaml');
    expect(m.companies?.columns).toEqual({ domain: null });
  });

  it('maps extra columns to trait names', () => {
    const m = parseMapping('leads:\n  extra:\n    Lead Source: lead_source\n', 'm.yaml');
    expect(m.leads?.extra).toEqual({ 'Lead Source': 'lead_source' });
  });

  it('upper-cases the default currency of orders', () => {
    expect(parseMapping('orders:\n  currency: eur\n', 'm.yaml').orders?.currency).toBe('EUR');
  });

  it('reads dates year first and amounts with a decimal point unless told otherwise', () => {
    expect(DEFAULT_MAPPING).toMatchObject({ dateOrder: 'ymd', decimalSeparator: '.' });
  });

  it('treats an empty file as the defaults', () => {
    expect(parseMapping('', 'm.yaml')).toEqual(DEFAULT_MAPPING);
  });

  it('names an unknown field with its full key and the fields it could be', () => {
    const [problem] = problemsOf('leads:\n  columns:\n    e_mail: Email\n');
    expect(problem?.key).toBe('leads.columns.e_mail');
    expect(problem?.message).toMatch(/unknown key; expected one of id, email,/);
  });

  it('names an unknown kind', () => {
    expect(problemsOf('contacts:\n  columns: {}\n')).toEqual([{ key: 'contacts', message: expect.stringMatching(/^unknown key; expected one of leads, companies, orders/) }]);
  });

  it('names a field given something other than a header', () => {
    expect(problemsOf('orders:\n  columns:\n    revenue: 12\n')[0]?.key).toBe('orders.columns.revenue');
  });

  it('names an extra column whose trait name is not a name', () => {
    expect(problemsOf('leads:\n  extra:\n    Lead Source: lead source\n')[0]).toEqual({ key: 'leads.extra.Lead Source', message: expect.stringContaining('trait name') });
  });

  it('names a currency that is not a three-letter code', () => {
    expect(problemsOf('orders:\n  currency: dollars\n')[0]?.key).toBe('orders.currency');
  });

  it('names a date order it does not know', () => {
    expect(problemsOf('dateOrder: yyyy-mm-dd\n')[0]?.key).toBe('dateOrder');
  });

  it('reports every problem at once', () => {
    expect(problemsOf('dateOrder: x\ndecimalSeparator: ";"\n').map((p) => p.key)).toEqual(['dateOrder', 'decimalSeparator']);
  });

  it('reports YAML that does not parse with its line', () => {
    expect(problemsOf('leads:\n  columns: [\n')[0]?.key).toMatch(/^line \d+$/);
  });

  it('names the file in its message', () => {
    expect(() => parseMapping('nope: 1\n', 'crm/mapping.yaml')).toThrow(/mapping file crm\/mapping\.yaml is invalid:\n {2}nope: unknown key/);
  });
});
