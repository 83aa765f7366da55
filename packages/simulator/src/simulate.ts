import { PRICING_SUBSTITUTE } from './catalog.ts';
import { anonymousVisitor, coolingDown, heatingUp, member, purchases, type Window } from './journeys.ts';
import { makeCompanies, People } from './population.ts';
import { createRng } from './random.ts';
import { DAY, HOUR, Traffic, type Person } from './traffic.ts';
import type { Simulation, SimulateOptions } from './types.ts';

/**
 * A few weeks of B2B site, email and billing traffic with known outcomes, so the pipeline's alerts and tags can be
 * compared with `expected` exactly.
 */
export function simulate({ seed, now, companies = 20, weeks = 4 }: SimulateOptions): Simulation {
  const nowMs = typeof now === 'number' ? now : new Date(now).getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError(`now is not a valid date: ${String(now)}`);
  if (!Number.isInteger(companies) || companies < 0) throw new RangeError('companies must be a non-negative integer');
  if (!Number.isFinite(weeks) || weeks < 1) throw new RangeError('weeks must be at least 1');

  const rng = createRng(seed);
  const traffic = new Traffic(rng, nowMs);
  const people = new People(rng);
  const span = weeks * 7 * DAY;
  // Everyone still in play was active within the last 28 days, so nobody but `cold` can look quiet for 30.
  const recent = Math.min(span, 28 * DAY);

  const accounts = makeCompanies(rng, companies);
  const hotCount = companies === 0 ? 0 : Math.max(1, Math.round(companies / 4));
  const bigCount = companies === 0 ? 0 : Math.max(1, Math.round(companies / 10));
  const hot = new Set<Person>();
  const expected: Simulation['expected'] = { hot: [], cold: [], bigCustomers: [] };

  accounts.forEach((company, i) => {
    const group = people.buyingGroup(company);
    const hotLead = i < hotCount ? rng.pick(group) : undefined;
    const big = i >= hotCount && i < hotCount + bigCount;
    const buys = big || rng.chance(0.3);
    const buyer = buys ? group.find((p) => p.role === (rng.chance(0.7) ? 'EB' : 'UB')) : undefined;

    for (const person of group) {
      const from = nowMs - rng.between(Math.min(span, 10 * DAY), span);
      if (person === hotLead) {
        heatingUp(traffic, person, from, rng.chance(0.4));
        hot.add(person);
        expected.hot.push(`u:${person.userId}`);
        continue;
      }
      // Dormant: active only 3–4 weeks ago, when the window reaches that far back.
      const dormant = person !== buyer && span >= 22 * DAY && rng.chance(0.12);
      const window: Window = dormant
        ? { from: nowMs - rng.between(25 * DAY, recent), to: nowMs - rng.between(21 * DAY, 24 * DAY) }
        : { from, to: nowMs - rng.between(HOUR, recent) };
      if (window.to <= window.from) window.from = window.to - rng.between(HOUR, 3 * DAY);
      member(traffic, person, window, 0.15);
      if (person === buyer) {
        purchases(traffic, person, window, big);
        if (big) expected.bigCustomers.push(`u:${person.userId}`);
      }
    }
  });

  const coldCount = companies === 0 ? 0 : Math.max(1, Math.round(companies / 4));
  for (let i = 0; i < coldCount; i++) {
    const identified = rng.chance(0.5);
    const from = accounts.length > 0 && rng.chance(0.5) ? rng.pick(accounts) : undefined;
    const person = people.make({ domain: from?.domain ?? 'mail.example', chinese: from?.chinese ?? rng.chance(0.2), userId: identified });
    coolingDown(traffic, person, identified);
    expected.cold.push(person.userId !== undefined ? `u:${person.userId}` : `e:${person.email}`);
  }

  for (let i = 0; i < companies; i++) {
    const visitor = people.make({ domain: 'mail.example', chinese: rng.chance(0.2), userId: false });
    anonymousVisitor(traffic, visitor, { from: nowMs - span, to: nowMs - HOUR });
  }

  traffic.breakStreaks(hot, PRICING_SUBSTITUTE);
  return { messages: traffic.messages(), expected };
}
