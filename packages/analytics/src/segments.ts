import { z } from 'zod';
import defaultMap from './rfm-segments.json' with { type: 'json' };

/** Every RFM code: R, F and M scores 1–5 written together, e.g. `545`. */
export const RFM_CODES: readonly string[] = [1, 2, 3, 4, 5].flatMap((r) => [1, 2, 3, 4, 5].flatMap((f) => [1, 2, 3, 4, 5].map((m) => `${r}${f}${m}`)));

/**
 * Segment name → the RFM codes it takes. Data, not code: a deployment can bring its own (ROLLUP_SEGMENT_MAP_FILE) as
 * long as every one of the 125 codes belongs to exactly one segment, so no buyer is ever left without one.
 */
export const segmentMapSchema = z
  .record(z.string().min(1).max(100), z.array(z.string().regex(/^[1-5]{3}$/, 'expected an RFM code such as 545')).min(1))
  .superRefine((map, ctx) => {
    const owner = new Map<string, string>();
    for (const [segment, codes] of Object.entries(map)) {
      for (const code of codes) {
        const first = owner.get(code);
        if (first !== undefined) ctx.addIssue({ code: 'custom', message: `code ${code} is in both ${JSON.stringify(first)} and ${JSON.stringify(segment)}`, path: [segment] });
        owner.set(code, segment);
      }
    }
    const missing = RFM_CODES.filter((c) => !owner.has(c));
    if (missing.length > 0) ctx.addIssue({ code: 'custom', message: `codes without a segment: ${missing.join(', ')}` });
  });

export type SegmentMap = z.infer<typeof segmentMapSchema>;

/** The 11 segments in common use, as published with RFM guides (Champions … Lost). */
export const DEFAULT_SEGMENT_MAP: SegmentMap = segmentMapSchema.parse(defaultMap);

/** The map as two parallel lists, codes in order: what SQL's `transform` takes. */
export function segmentLookup(map: SegmentMap): { readonly codes: string[]; readonly segments: string[] } {
  const pairs = Object.entries(map)
    .flatMap(([segment, codes]) => codes.map((code) => [code, segment] as const))
    .sort(([a], [b]) => a.localeCompare(b));
  return { codes: pairs.map(([c]) => c), segments: pairs.map(([, s]) => s) };
}
