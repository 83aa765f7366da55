import { z } from 'zod';

/**
 * The product's own events, on top of the Segment spec. A `track` call with one of these names must carry these
 * properties (names as in Segment's E-commerce and Email specs); other properties are kept.
 * Site visits are `page` calls, person traits `identify`, company traits `group`.
 */

/**
 * The largest amount an order or refund may carry, in any currency: far above any real order, and low enough that
 * revenue sums stay exact to the cent in a double and can never overflow (Redis refuses an increment to infinity).
 */
export const MAX_AMOUNT = 1e15;

const money = z.number().finite().min(0, 'must not be negative').max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);
const currency = z.string().regex(/^[A-Za-z]{3}$/, 'expected an ISO-4217 code such as USD or CNY').transform((c) => c.toUpperCase());
const idString = z.union([z.string(), z.number().finite()]).transform(String).pipe(z.string().min(1, 'must not be empty').max(200));

export const emailOpenedProperties = z.looseObject({
  email_id: idString,
  campaign_id: idString.optional(),
  campaign_name: z.string().max(500).optional(),
  email_subject: z.string().max(1000).optional(),
});

export const emailLinkClickedProperties = emailOpenedProperties.extend({
  link_url: z.string().max(4096).optional(),
  link_id: idString.optional(),
});

/** Fields a B2B form usually asks; free-text answers go in `answers` (question → answer). */
export const formSubmittedProperties = z.looseObject({
  form_id: idString,
  email: z.string().max(320).optional(),
  name: z.string().max(500).optional(),
  first_name: z.string().max(200).optional(),
  last_name: z.string().max(200).optional(),
  phone: z.string().max(64).optional(),
  title: z.string().max(500).optional(),
  company: z.string().max(500).optional(),
  industry: z.string().max(200).optional(),
  size: z.union([z.string().max(100), z.number().finite()]).optional(),
  region: z.string().max(200).optional(),
  budget: z.union([z.string().max(200), z.number().finite()]).optional(),
  timeline: z.string().max(200).optional(),
  answers: z.record(z.string(), z.union([z.string().max(5000), z.number(), z.boolean(), z.array(z.string().max(1000))])).optional(),
});

export const productSchema = z.looseObject({
  product_id: idString.optional(),
  sku: z.string().max(200).optional(),
  name: z.string().max(500).optional(),
  category: z.string().max(500).optional(),
  price: z.number().finite().optional(),
  quantity: z.number().finite().min(0).optional(),
});

export const orderCompletedProperties = z
  .looseObject({
    order_id: idString,
    revenue: money.optional(),
    total: money.optional(),
    currency: currency.optional(),
    products: z.array(productSchema).max(1000).optional(),
  })
  .refine((p) => p.revenue !== undefined || p.total !== undefined, { message: 'revenue or total is required', path: ['revenue'] });

export const orderRefundedProperties = z
  .looseObject({
    order_id: idString,
    amount: money.optional(),
    total: money.optional(),
    currency: currency.optional(),
  })
  .refine((p) => p.amount !== undefined || p.total !== undefined, { message: 'amount (or total) is required', path: ['amount'] });

export const productEvents = {
  'Email Opened': emailOpenedProperties,
  'Email Link Clicked': emailLinkClickedProperties,
  'Form Submitted': formSubmittedProperties,
  'Order Completed': orderCompletedProperties,
  'Order Refunded': orderRefundedProperties,
} as const;

export type ProductEventName = keyof typeof productEvents;
export type EmailOpened = z.output<typeof emailOpenedProperties>;
export type EmailLinkClicked = z.output<typeof emailLinkClickedProperties>;
export type FormSubmitted = z.output<typeof formSubmittedProperties>;
export type OrderCompleted = z.output<typeof orderCompletedProperties>;
export type OrderRefunded = z.output<typeof orderRefundedProperties>;

export function isProductEvent(name: string): name is ProductEventName {
  return Object.hasOwn(productEvents, name);
}
