import { describe, expect, it } from 'vitest';
import type { Parsed } from '../problems.ts';
import { normalizeDomain, normalizeEmail, parseAmount, parseCurrency, parseProducts, parseSize } from '../values.ts';

const value = <T>(p: Parsed<T>) => (p.ok ? p.value : `refused: ${p.problem.reason}`);

describe('emails', () => {
  it('are lower-cased and trimmed', () => {
    expect(value(normalizeEmail('  Ann.Lee@Acme.Example '))).toBe('ann.lee@acme.example');
  });

  it.each(['ann', 'ann@', '@acme.example', 'ann@acme', 'ann lee@acme.example', 'n/a', 'ann@acme.example, bo@acme.example'])('refuse %j', (raw) => {
    expect(value(normalizeEmail(raw))).toBe('refused: invalid_email');
  });

  it('name the bad value in the reason', () => {
    const p = normalizeEmail('bob@');
    expect(!p.ok && p.problem.message).toBe('email "bob@" is not an email address');
  });
});

describe('domains', () => {
  it.each([
    ['acme.example', 'acme.example'],
    ['https://www.Acme.Example/about?x=1', 'acme.example'],
    ['WWW.acme.co.uk.', 'acme.co.uk'],
    ['shop.acme.example:8443', 'shop.acme.example'],
  ])('read %j as %j', (raw, expected) => {
    expect(value(normalizeDomain(raw))).toBe(expected);
  });

  it.each(['acme', 'not a domain', '10.0.0.1', 'http://'])('refuse %j', (raw) => {
    expect(value(normalizeDomain(raw))).toBe('refused: invalid_domain');
  });
});

describe('amounts', () => {
  it.each([
    ['1234.5', 1234.5],
    ['1,234.50', 1234.5],
    ['$1,234,567.89', 1234567.89],
    ['€ 99', 99],
    ['0', 0],
    ['1 234.50', 1234.5],
  ])('read %j as %d', (raw, expected) => {
    expect(value(parseAmount(raw, '.'))).toBe(expected);
  });

  it('read a decimal comma when the mapping says so', () => {
    expect(value(parseAmount('1.234,50', ','))).toBe(1234.5);
  });

  it.each(['1,5', '12.34.56', 'abc', '', '1e5', '12,34'])('refuse %j with a decimal point', (raw) => {
    expect(value(parseAmount(raw, '.'))).toBe('refused: invalid_amount');
  });

  it('refuse a negative amount', () => {
    const p = parseAmount('-20', '.');
    expect(!p.ok && p.problem.message).toMatch(/negative/);
  });
});

describe('currencies', () => {
  it('are upper-cased ISO-4217 codes', () => {
    expect(value(parseCurrency(' eur '))).toBe('EUR');
  });

  it.each(['XYZ', 'US$', 'dollars', 'EU'])('refuse %j', (raw) => {
    expect(value(parseCurrency(raw))).toBe('refused: unknown_currency');
  });
});

describe('company size', () => {
  it('is a number when it is a count', () => {
    expect(parseSize('1,200')).toBe(1200);
  });

  it('stays text when it is a band', () => {
    expect(parseSize(' 51-200 ')).toBe('51-200');
  });
});

describe('products', () => {
  it('are read from a JSON array of Segment products', () => {
    expect(value(parseProducts('[{"sku":"A-1","price":10,"quantity":2}]'))).toEqual([{ sku: 'A-1', price: 10, quantity: 2 }]);
  });

  it('are read from names separated by ; or |', () => {
    expect(value(parseProducts('Pro plan; Onboarding | Support'))).toEqual([{ name: 'Pro plan' }, { name: 'Onboarding' }, { name: 'Support' }]);
  });

  it('refuse JSON that does not parse', () => {
    expect(value(parseProducts('[{"sku":'))).toBe('refused: invalid_products');
  });

  it('refuse a product with a bad field, naming its path', () => {
    const p = parseProducts('[{"price":"ten"}]');
    expect(!p.ok && p.problem.message).toMatch(/^products\[0\]\.price: /);
  });
});
