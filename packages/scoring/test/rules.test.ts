import { describe, expect, it } from 'vitest';
import { defaultRules, parseRules, RulesError } from '../src/index.ts';

/** The smallest valid rules file, to change one thing at a time. */
function minimal(): Record<string, any> {
  return {
    version: 'test-1',
    tiers: { hot: 40, warm: 20 },
    weights: [{ id: 'pricing', match: { path: '^/pricing' }, weight: 10 }],
    fit: { profile: [], grades: { A: 80, B: 50, C: 20 } },
  };
}

function problems(input: unknown): string[] {
  try {
    parseRules(input);
  } catch (error) {
    if (error instanceof RulesError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('a valid rules file', () => {
  it('parses, the default rules included', () => {
    expect(() => parseRules(minimal())).not.toThrow();
    expect(() => parseRules(defaultRules)).not.toThrow();
  });

  it('gets the documented defaults', () => {
    const rules = parseRules(minimal());
    expect(rules.defaults).toEqual({ halfLife: 7 * 86_400_000, flaggedScore: false });
    expect(rules.tags).toEqual([]);
    expect(rules.roles).toEqual([]);
    expect(rules.alerts).toEqual([]);
  });

  it('has its durations in milliseconds', () => {
    const input = minimal();
    input.defaults = { halfLife: '12h' };
    input.weights[0].halfLife = '90m';
    input.quiet = { after: '30d', tag: 'nurture' };
    const rules = parseRules(input);
    expect(rules.defaults.halfLife).toBe(12 * 3_600_000);
    expect(rules.weights[0]?.halfLife).toBe(90 * 60_000);
    expect(rules.quiet?.after).toBe(30 * 86_400_000);
  });

  it('has its patterns compiled once, case-insensitive', () => {
    const pattern = parseRules(minimal()).weights[0]?.match.path;
    expect(pattern).toBeInstanceOf(RegExp);
    expect(pattern?.test('/PRICING')).toBe(true);
  });

  it('reads one value where a list is allowed as a list of one', () => {
    const input = minimal();
    input.weights[0].match = { event: 'Order Completed', formId: 42 };
    expect(parseRules(input).weights[0]?.match).toMatchObject({ event: ['Order Completed'], formId: ['42'] });
  });

  it('reads a bare property value as an equality test', () => {
    const input = minimal();
    input.weights[0].match = { properties: { plan: 'pro', revenue: { gte: 100 } } };
    expect(parseRules(input).weights[0]?.match.properties).toEqual({ plan: { eq: 'pro' }, revenue: { gte: 100 } });
  });
});

describe('an invalid rules file', () => {
  it('is refused with the path of a bad regular expression', () => {
    const input = minimal();
    input.weights = [...Array.from({ length: 3 }, (_, i) => ({ id: `w${i}`, match: { type: 'page' }, weight: 1 })), { id: 'bad', match: { url: '(pricing' }, weight: 1 }];
    expect(problems(input)).toEqual([expect.stringMatching(/^weights\[3\]\.match\.url: invalid regular expression/)]);
  });

  it('is refused with every problem listed in the error message', () => {
    const input = minimal();
    input.tiers = { hot: 'high', warm: 20 };
    input.weights[0].halfLife = 'a week';
    let message = '';
    try {
      parseRules(input);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('tiers.hot: expected number');
    expect(message).toContain('weights[0].halfLife: "a week" is not a duration');
  });

  it('is refused without a version', () => {
    const { version: _version, ...input } = minimal();
    expect(problems(input)).toEqual(['version: required']);
  });

  it('is refused with a version YAML read as a number, with the fix in the message', () => {
    expect(problems({ ...minimal(), version: 1.1 })).toEqual([expect.stringMatching(/^version: expected a string; quote it/)]);
  });

  it('is refused for a field nobody reads, at the field', () => {
    const input = minimal();
    input.weights[0].wieght = 5;
    expect(problems(input)).toEqual(['weights[0].wieght: unknown field']);
  });

  it('is refused for an unknown time zone', () => {
    expect(problems({ ...minimal(), timeZone: 'China/Beijing' })).toEqual([expect.stringMatching(/^timeZone: unknown IANA time zone/)]);
  });

  it('is refused for a hot threshold not above the warm one', () => {
    expect(problems({ ...minimal(), tiers: { hot: 20, warm: 20 } })).toEqual(['tiers.hot: hot must be above warm']);
  });

  it('is refused for grades that do not fall from A to C', () => {
    const input = minimal();
    input.fit.grades = { A: 50, B: 80, C: 20 };
    expect(problems(input)).toEqual(['fit.grades: thresholds must fall from A to C (A > B > C)']);
  });

  it('is refused for a match that would match every event', () => {
    const input = minimal();
    input.weights[0].match = {};
    expect(problems(input)).toEqual([expect.stringMatching(/^weights\[0\]\.match: give at least one of event, type/)]);
  });

  it('is refused for a condition without a test', () => {
    const input = minimal();
    input.tags = [{ id: 'big', kind: 'fact', when: { trait: { name: 'size' } } }];
    expect(problems(input)).toEqual([expect.stringMatching(/^tags\[0\]\.when\.trait: give at least one of eq, in, matches/)]);
  });

  it('is refused for a duration of zero where a window is needed', () => {
    const input = minimal();
    input.tags = [{ id: 'reader', kind: 'behavioral', when: { match: { type: 'page' }, atLeast: 1, within: '0d' } }];
    expect(problems(input)).toEqual([expect.stringMatching(/^tags\[0\]\.when\.within: must be longer than zero/)]);
  });

  it('is refused for a tag of unknown kind, at the kind', () => {
    const input = minimal();
    input.tags = [{ id: 'x', kind: 'hunch', when: { trait: { name: 'a', exists: true } } }];
    expect(problems(input)).toEqual([expect.stringMatching(/^tags\[0\]\.kind: /)]);
  });

  it('is refused for an alert of unknown kind, at the kind', () => {
    const input = minimal();
    input.alerts = [{ id: 'a', kind: 'vibes', action: 'call' }];
    expect(problems(input)).toEqual([expect.stringMatching(/^alerts\[0\]\.kind: /)]);
  });

  it('is refused for a one-day streak', () => {
    const input = minimal();
    input.alerts = [{ id: 'a', kind: 'streak', match: { path: '^/pricing' }, days: 1, action: 'call today' }];
    expect(problems(input)).toEqual(['alerts[0].days: a streak is at least 2 days']);
  });

  it('is refused for a buying group needing more roles than it lists', () => {
    const input = minimal();
    input.alerts = [{ id: 'g', kind: 'buying_group', match: { path: '^/pricing' }, roles: ['EB', 'TB'], minRoles: 3, within: '7d', action: 'meet' }];
    expect(problems(input)).toEqual(['alerts[0].minRoles: cannot exceed the number of distinct roles listed']);
  });

  it('is refused for a duplicate id, naming the first', () => {
    const input = minimal();
    input.weights.push({ id: 'pricing', match: { path: '^/plans' }, weight: 5 });
    expect(problems(input)).toEqual(['weights[1].id: duplicate id "pricing" (also weights[0])']);
  });

  it('is refused for a fit profile naming a tag no rule sets', () => {
    const input = minimal();
    input.fit.profile = [{ id: 'budget', when: { tag: ['big-budget'] }, points: 30 }];
    expect(problems(input)).toEqual(['fit.profile[0].when.tag[0]: unknown tag "big-budget": not a tag rule\'s id nor the quiet tag']);
  });

  it('is refused for a quiet tag that a tag rule also sets', () => {
    const input = minimal();
    input.tags = [{ id: 'nurture', kind: 'fact', when: { trait: { name: 'x', exists: true } } }];
    input.quiet = { after: '30d', tag: 'nurture' };
    expect(problems(input)).toEqual([expect.stringMatching(/^quiet\.tag: "nurture" is also a tag rule's id/)]);
  });

  it('is refused when it is not an object at all', () => {
    expect(problems('version: 1')).toEqual(['(root): expected object']);
  });
});
