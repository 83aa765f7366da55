import { describe, expect, it } from 'vitest';
import { DEFAULT_SEGMENT_MAP, RFM_CODES, segmentLookup, segmentMapSchema } from '../src/segments.ts';

describe('the RFM segment map', () => {
  it('gives each of the 125 codes exactly one of the 11 segments in common use', () => {
    const { codes } = segmentLookup(DEFAULT_SEGMENT_MAP);
    expect(codes).toEqual([...RFM_CODES].sort());
    expect(Object.keys(DEFAULT_SEGMENT_MAP)).toEqual([
      'Champions',
      'Loyal',
      'Potential loyalist',
      'New',
      'Promising',
      'Need attention',
      'About to sleep',
      'At risk',
      "Can't lose",
      'Hibernating',
      'Lost',
    ]);
  });

  it('puts the best code among Champions and the worst among Lost', () => {
    const segmentOf = (code: string) => Object.entries(DEFAULT_SEGMENT_MAP).find(([, codes]) => codes.includes(code))?.[0];
    expect(segmentOf('555')).toBe('Champions');
    expect(segmentOf('111')).toBe('Lost');
  });

  it('refuses a map that leaves a code without a segment, naming it', () => {
    const { Lost: _, ...withoutLost } = DEFAULT_SEGMENT_MAP;
    const result = segmentMapSchema.safeParse(withoutLost);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join()).toContain('codes without a segment: 111, 112, 121, 131, 141, 151');
  });

  it('refuses a map that gives one code two segments', () => {
    const result = segmentMapSchema.safeParse({ ...DEFAULT_SEGMENT_MAP, Mine: ['555'] });
    expect(result.error?.issues.map((i) => i.message).join()).toContain('code 555 is in both "Champions" and "Mine"');
  });

  it('accepts a deployment\'s own segments when they cover every code once', () => {
    const half = RFM_CODES.filter((c) => Number(c[0]) >= 3);
    expect(segmentMapSchema.safeParse({ Recent: half, Lapsed: RFM_CODES.filter((c) => !half.includes(c)) }).success).toBe(true);
  });
});
