/**
 * Numbers, times and money in the reader's language, through Intl. One formatter set per language, built once, since
 * a hot list formats several hundred cells per render.
 */

const cache = new Map();

const RELATIVE_STEPS = /** @type {const} */ ([
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
]);

/** @param {string} lang */
export function formatFor(lang) {
  let f = cache.get(lang);
  if (!f) cache.set(lang, (f = build(lang)));
  return f;
}

/** @param {string} lang */
function build(lang) {
  const oneDecimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const signed = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'always' });
  const integer = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const plain = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  const date = new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric' });
  const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const money = new Map();

  /** @param {string | number | null | undefined} v */
  const when = (v) => (v === null || v === undefined || v === '' ? null : new Date(v));
  const valid = (d) => d !== null && !Number.isNaN(d.getTime());

  return {
    /** Heat and other scores: one decimal. */
    heat: (n) => oneDecimal.format(n),
    /** A contribution to heat: `+18.2`. */
    points: (n) => signed.format(n),
    int: (n) => integer.format(n),
    number: (n) => plain.format(n),
    dateTime: (v) => (valid(when(v)) ? dateTime.format(when(v)) : '—'),
    date: (v) => (valid(when(v)) ? date.format(when(v)) : '—'),
    time: (v) => (valid(when(v)) ? time.format(when(v)) : '—'),
    /** "3 hours ago" / "3小时前"; `now` is passed in so a table formats against one clock. */
    relative(v, now = Date.now()) {
      const d = when(v);
      if (!valid(d)) return '—';
      let amount = (d.getTime() - now) / 1000;
      for (const [unit, size] of RELATIVE_STEPS) {
        if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
        amount /= size;
      }
      return '—';
    },
    /** An order amount; a currency code Intl does not know is shown beside the plain number. */
    money(amount, currency) {
      const code = typeof currency === 'string' ? currency.toUpperCase() : '';
      if (!/^[A-Z]{3}$/.test(code)) return `${plain.format(amount)}${code ? ` ${code}` : ''}`;
      if (!money.has(code)) {
        try {
          money.set(code, new Intl.NumberFormat(lang, { style: 'currency', currency: code }));
        } catch {
          money.set(code, null);
        }
      }
      const f = money.get(code);
      return f ? f.format(amount) : `${plain.format(amount)}${code ? ` ${code}` : ''}`;
    },
  };
}
