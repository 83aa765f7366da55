import { formatPath, productSchema } from '@leadscore/events';
import { fail, ok, type Parsed } from './problems.ts';
import { z } from './zod.ts';

/**
 * Cell values as spreadsheets and CRMs write them, read into what events carry. Each reader names the column it
 * read (`label`) in its problem, so a rejected row says which cell was wrong.
 */

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

// Deliberately loose: the point is to catch cells that hold something else (a name, "n/a", a typo'd @), not to
// second-guess addresses a CRM already accepted.
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]{2,}$/u;

/** Lower-cased and trimmed: the same person under "Ann@Acme.com " and "ann@acme.com" stitches to one lead. */
export function normalizeEmail(raw: string, label = 'email'): Parsed<string> {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) return fail('invalid_email', `${label} ${quote(raw)} is not an email address`);
  return ok(email);
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A bare host name: "https://www.Acme.com/about" → "acme.com", so a company is one group however its site is written. */
export function normalizeDomain(raw: string, label = 'domain'): Parsed<string> {
  const text = raw.trim();
  let host: string;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`).hostname;
  } catch {
    return fail('invalid_domain', `${label} ${quote(raw)} is not a domain name`);
  }
  host = host.replace(/\.$/, '').replace(/^www\./, '');
  const labels = host.split('.');
  if (labels.length < 2 || host.length > 253 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1) as string)) {
    return fail('invalid_domain', `${label} ${quote(raw)} is not a domain name`);
  }
  return ok(host);
}

export const DECIMAL_SEPARATORS = ['.', ','] as const;
export type DecimalSeparator = (typeof DECIMAL_SEPARATORS)[number];

/**
 * An amount such as "1,234.50", "$1 234.50" or (with decimalSeparator ",") "1.234,50". Thousands separators must
 * group by three, so "1,5" with "." as the separator is refused rather than read as 15.
 */
export function parseAmount(raw: string, decimalSeparator: DecimalSeparator, label = 'amount'): Parsed<number> {
  const thousands = decimalSeparator === '.' ? ',' : '.';
  // Currency signs, spaces (also the no-break kinds) and the Swiss apostrophe are decoration.
  const text = raw.replace(/[\p{Sc}\s\u00a0\u202f']/gu, '');
  const grouped = new RegExp(`^-?\\d{1,3}(\\${thousands}\\d{3})+(\\${decimalSeparator}\\d+)?$`);
  const plain = new RegExp(`^-?\\d+(\\${decimalSeparator}\\d+)?$`);
  if (!grouped.test(text) && !plain.test(text)) return fail('invalid_amount', `${label} ${quote(raw)} is not a number`);
  const value = Number(text.split(thousands).join('').replace(decimalSeparator, '.'));
  if (!Number.isFinite(value)) return fail('invalid_amount', `${label} ${quote(raw)} is not a number`);
  if (value < 0) return fail('invalid_amount', `${label} ${quote(raw)} is negative; refunds are not orders`);
  return ok(value);
}

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** An ISO-4217 code that exists ("usd" → "USD"); "US$" or "XYZ" are refused rather than passed on unreadable. */
export function parseCurrency(raw: string, label = 'currency'): Parsed<string> {
  const code = raw.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code) || !CURRENCIES.has(code)) return fail('unknown_currency', `${label} ${quote(raw)} is not an ISO-4217 currency code such as USD or EUR`);
  return ok(code);
}

/** Employees: a count becomes a number ("1,200" → 1200); a band such as "51-200" is kept as written. */
export function parseSize(raw: string): number | string {
  const compact = raw.replace(/[,\s\u00a0']/g, '');
  return /^\d{1,9}$/.test(compact) ? Number(compact) : raw.trim();
}

const productList = z.array(productSchema).max(1000);
export type Product = z.output<typeof productSchema>;

/**
 * A products cell: a JSON array of Segment products (`[{"sku":"A-1","price":10,"quantity":2}]`), or product
 * names separated by ";" or "|" ("Pro plan; Onboarding").
 */
export function parseProducts(raw: string, label = 'products'): Parsed<Product[]> {
  const text = raw.trim();
  if (text.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return fail('invalid_products', `${label} starts with [ but is not JSON: ${(err as Error).message}`);
    }
    const parsed = productList.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail('invalid_products', issue ? `${formatPath(issue.path, label)}: ${issue.message}` : `${label} is not a list of products`);
    }
    return ok(parsed.data);
  }
  const names = text.split(/[;|]/).map((n) => n.trim()).filter((n) => n.length > 0);
  if (names.some((n) => n.length > 500)) return fail('invalid_products', `${label} has a product name over 500 characters`);
  return ok(names.map((name) => ({ name })));
}
