import { MAX_AMOUNT, type TrackedEvent } from '@leadscore/events';

/** The Segment e-commerce events that carry an order: the portrait, ClickHouse rows and the rollups read these. */
export const ORDER_EVENTS = { completed: 'Order Completed', refunded: 'Order Refunded' } as const;

/** Segment's default currency, for an order that names none (the spec's own default). */
export const DEFAULT_CURRENCY = 'USD';

export interface Order {
  /** The order id ("Order Completed") or the refunded order's id ("Order Refunded"). */
  readonly id: string;
  /** What the order adds to revenue (a refund: what it takes back), never negative. */
  readonly amount: number;
  readonly currency: string;
  readonly refund: boolean;
}

/**
 * The one reading of an order event, for the portrait and for ClickHouse alike: "Order Completed" counts its
 * revenue (else total), "Order Refunded" its amount (else total), in its currency or the default one. The amount is
 * as sent: `orderIssue` says whether it can be counted.
 */
export function orderOf(event: TrackedEvent): Order | undefined {
  if (event.type !== 'track' || (event.event !== ORDER_EVENTS.completed && event.event !== ORDER_EVENTS.refunded)) return undefined;
  const refund = event.event === ORDER_EVENTS.refunded;
  const p = event.properties ?? {};
  return {
    id: String(p.order_id ?? ''),
    amount: Number(refund ? (p.amount ?? p.total) : (p.revenue ?? p.total)),
    currency: typeof p.currency === 'string' && p.currency !== '' ? p.currency.toUpperCase() : DEFAULT_CURRENCY,
    refund,
  };
}

/** Why an order cannot be counted (an amount that is not a number from 0 to MAX_AMOUNT), or undefined. */
export function orderIssue(order: Order): string | undefined {
  if (Number.isFinite(order.amount) && order.amount >= 0 && order.amount <= MAX_AMOUNT) return undefined;
  return `its amount ${order.amount} is not a number from 0 to ${MAX_AMOUNT}`;
}

/**
 * The deployment's reporting currency and its rates (ROLLUP_CURRENCY, ROLLUP_RATES): units of the reporting currency
 * per unit of each other currency. The analysts' rollups convert with the same rule in SQL (packages/analytics).
 */
export interface Money {
  readonly currency: string;
  readonly rates: Readonly<Record<string, number>>;
}

/** Without rates: only the reporting currency's own amounts are known. */
export const NO_RATES: Money = { currency: DEFAULT_CURRENCY, rates: {} };

/**
 * An amount in the reporting currency: as it is in that currency, times its rate in another, and undefined for a
 * currency without a rate (left out, never guessed).
 */
export function inReportingCurrency(money: Money, amount: number, currency: string): number | undefined {
  if (currency === money.currency) return amount;
  const rate = money.rates[currency];
  return rate === undefined ? undefined : amount * rate;
}
