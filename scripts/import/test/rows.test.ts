import { describe, expect, it } from 'vitest';
import type { RowValues } from '../columns.ts';
import type { ImportKind } from '../kinds.ts';
import { DEFAULT_MAPPING, parseMapping, type Mapping } from '../mapping.ts';
import { buildRow } from '../rows.ts';

const now = new Date('2026-01-01T12:00:00Z');

function build<K extends ImportKind>(kind: K, fields: RowValues<K>['fields'], options: { extra?: Record<string, string>; mapping?: Mapping } = {}) {
  return buildRow(kind, { fields, extra: options.extra ?? {} }, { mapping: options.mapping ?? DEFAULT_MAPPING, now });
}
function message<K extends ImportKind>(...args: Parameters<typeof build<K>>) {
  const built = build(...args);
  if (!built.ok) throw new Error(`refused: ${built.problem.reason}: ${built.problem.message}`);
  return built.value.message as Record<string, unknown>;
}
function reason<K extends ImportKind>(...args: Parameters<typeof build<K>>) {
  const built = build(...args);
  return built.ok ? 'accepted' : built.problem.reason;
}

describe('a lead row', () => {
  it('becomes an identify of the CRM id, with its traits', () => {
    expect(message('leads', { id: 'L-1', email: 'Ann@Acme.example', first_name: 'Ann', last_name: 'Lee', title: 'CTO', phone: '+1 555', company: 'Acme', owner: 'Dana', industry: 'Software', region: 'EMEA', date: '2025-02-03' })).toEqual({
      type: 'identify',
      messageId: expect.stringMatching(/^import-leads-[0-9a-f]{32}$/),
      userId: 'L-1',
      timestamp: '2025-02-03T00:00:00.000Z',
      traits: { email: 'ann@acme.example', name: 'Ann Lee', firstName: 'Ann', lastName: 'Lee', title: 'CTO', phone: '+1 555', company: 'Acme', owner: 'Dana', industry: 'Software', region: 'EMEA' },
    });
  });

  it('without an id is known by its normalized email, for the ingest workers to stitch', () => {
    expect(message('leads', { email: ' Ann@Acme.Example ' })).toMatchObject({ anonymousId: 'email:ann@acme.example', traits: { email: 'ann@acme.example' } });
  });

  it('keeps a full name column over first and last name', () => {
    expect(message('leads', { email: 'a@b.example', name: 'Dr. Ann Lee', first_name: 'Ann' })).toMatchObject({ traits: { name: 'Dr. Ann Lee', firstName: 'Ann' } });
  });

  it('is attributed to its company id', () => {
    expect(message('leads', { email: 'a@b.example', company_id: 'A-1', company_domain: 'acme.example' })).toMatchObject({ context: { groupId: 'A-1' } });
  });

  it('is attributed to its company\'s domain when there is no company id', () => {
    expect(message('leads', { email: 'a@b.example', company_domain: 'https://www.acme.example' })).toMatchObject({ context: { groupId: 'domain:acme.example' } });
  });

  it('has no context when no company column is mapped', () => {
    expect(message('leads', { email: 'a@b.example' })).not.toHaveProperty('context');
  });

  it('carries mapped extra columns as traits, under the built-in ones', () => {
    expect(message('leads', { email: 'a@b.example' }, { extra: { lead_source: 'webinar', email: 'x' } })).toMatchObject({ traits: { lead_source: 'webinar', email: 'a@b.example' } });
  });

  it('without a date is stamped with the time of the import', () => {
    expect(message('leads', { email: 'a@b.example' }).timestamp).toBe(now.toISOString());
  });

  it('is refused without an id and an email', () => {
    expect(reason('leads', { name: 'Ann' })).toBe('missing_key');
  });

  it('is refused with a bad email even when it has an id', () => {
    expect(reason('leads', { id: 'L-1', email: 'ann at acme' })).toBe('invalid_email');
  });

  it('is refused with an unreadable date', () => {
    expect(reason('leads', { email: 'a@b.example', date: 'last tuesday' })).toBe('invalid_date');
  });

  it('is refused with a company domain that is not one', () => {
    expect(reason('leads', { email: 'a@b.example', company_domain: 'acme' })).toBe('invalid_domain');
  });

  it('is refused as the collector would refuse it, with the field path', () => {
    const built = build('leads', { id: 'x'.repeat(300) });
    expect(built.ok ? undefined : built.problem).toMatchObject({ reason: 'invalid_message', issues: [{ path: 'userId' }] });
  });

  it('gets the same messageId whether or not its other columns changed', () => {
    const a = build('leads', { id: 'L-1', title: 'CTO' });
    const b = build('leads', { id: 'L-1', title: 'CEO' });
    expect(a.ok && b.ok && a.value.messageId === b.value.messageId).toBe(true);
  });
});

describe('a company row', () => {
  it('becomes a group call of its id, with an identity of its own', () => {
    expect(message('companies', { id: 'A-1', name: 'Acme', domain: 'www.acme.example', industry: 'Software', size: '1,200', region: 'EMEA', owner: 'Dana', date: '2024-11-05' })).toEqual({
      type: 'group',
      messageId: expect.stringMatching(/^import-companies-[0-9a-f]{32}$/),
      groupId: 'A-1',
      anonymousId: 'import:company:A-1',
      timestamp: '2024-11-05T00:00:00.000Z',
      traits: { name: 'Acme', domain: 'acme.example', industry: 'Software', employees: 1200, region: 'EMEA', owner: 'Dana' },
    });
  });

  it('without an id is the group of its domain', () => {
    expect(message('companies', { domain: 'https://Acme.example/' })).toMatchObject({ groupId: 'domain:acme.example', anonymousId: 'import:company:domain:acme.example' });
  });

  it('is refused with neither an id nor a domain', () => {
    expect(reason('companies', { name: 'Acme' })).toBe('missing_key');
  });
});

describe('an order row', () => {
  it('becomes Order Completed by its buyer, dated by the order date', () => {
    expect(message('orders', { order_id: 'SO-1', user_id: 'L-1', email: 'Ann@Acme.example', revenue: '1,250.00', currency: 'usd', date: '2025-06-30 16:20', company_id: 'A-1' })).toEqual({
      type: 'track',
      event: 'Order Completed',
      messageId: expect.stringMatching(/^import-orders-[0-9a-f]{32}$/),
      userId: 'L-1',
      timestamp: '2025-06-30T16:20:00.000Z',
      properties: { order_id: 'SO-1', revenue: 1250, currency: 'USD' },
      context: { groupId: 'A-1', traits: { email: 'ann@acme.example' } },
    });
  });

  it('without a buyer id is by the buyer\'s email', () => {
    expect(message('orders', { order_id: 'SO-1', email: 'ann@acme.example', revenue: '5', date: '2025-01-01' })).toMatchObject({ anonymousId: 'email:ann@acme.example' });
  });

  it('takes the mapping\'s currency when the file has none', () => {
    const mapping = parseMapping('orders:\n  currency: eur\n', 'm.yaml');
    expect(message('orders', { order_id: 'SO-1', user_id: 'u', revenue: '5', date: '2025-01-01' }, { mapping })).toMatchObject({ properties: { currency: 'EUR' } });
  });

  it('carries its products', () => {
    expect(message('orders', { order_id: 'SO-1', user_id: 'u', revenue: '5', date: '2025-01-01', products: 'Pro; Support' })).toMatchObject({ properties: { products: [{ name: 'Pro' }, { name: 'Support' }] } });
  });

  it('is refused without an order id', () => {
    expect(reason('orders', { user_id: 'u', revenue: '5', date: '2025-01-01' })).toBe('missing_key');
  });

  it('is refused without a buyer', () => {
    expect(reason('orders', { order_id: 'SO-1', revenue: '5', date: '2025-01-01' })).toBe('missing_identity');
  });

  it('is refused with an amount that is not a number', () => {
    expect(reason('orders', { order_id: 'SO-1', user_id: 'u', revenue: 'twelve', date: '2025-01-01' })).toBe('invalid_amount');
  });

  it('is refused with an unknown currency', () => {
    expect(reason('orders', { order_id: 'SO-1', user_id: 'u', revenue: '5', currency: 'XXY', date: '2025-01-01' })).toBe('unknown_currency');
  });

  it('is refused without its date, rather than dated today', () => {
    expect(reason('orders', { order_id: 'SO-1', user_id: 'u', revenue: '5' })).toBe('invalid_date');
  });
});
