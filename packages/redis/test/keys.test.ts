import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashTagged, parseHashTagged } from '../src/keys.ts';

describe('hash-tagged keys', () => {
  it('read back to the kind, id and suffix they were built from, whatever the id holds', () => {
    fc.assert(
      fc.property(fc.constantFrom('p', 'c', 'email'), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('state', 'owner', 'ledger'), (kind, id, suffix) => {
        expect(parseHashTagged('ns:x', hashTagged('ns:x', kind, id, suffix))).toEqual({ kind, id, suffix });
      }),
      { numRuns: 2000 },
    );
  });

  it('are not read as another namespace\'s', () => {
    expect(parseHashTagged('ns', hashTagged('other', 'p', 'u:ann', 'state'))).toBeUndefined();
  });
});
