import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateFetchPlan } from '../../services/metadata/validate-reads';
import { isAppError } from '../../shared/errors';

/**
 * A fetch plan naming a partition twice is refused at the first repeat. Short lists compare
 * pairs, long ones (over 32 entries) keep a set of keys: on either side of that switch the
 * answer is what one set of `partition:topic` keys gives.
 */

/** The rule as a set of keys states it: the first entry whose partition came before, else none. */
function firstRepeat(parts: { topic: string; partition: number }[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const key = `${parts[i].partition}:${parts[i].topic}`;
    if (seen.has(key)) return i;
    seen.add(key);
  }
  return -1;
}

const entry = fc.record({ topic: fc.constantFrom('a', 'b', '1', 'a.b', 'a_b'), partition: fc.integer({ min: 0, max: 20 }), offset: fc.constant(0), maxBytes: fc.constant(100) }, { noNullPrototype: true });

test('a partition listed twice is refused at its first repeat, in short and long lists alike', () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 60 }), (parts) => {
      const expected = firstRepeat(parts);
      let got = -1;
      try {
        const valid = validateFetchPlan({ partitions: parts, maxBytes: 100 });
        assert.deepEqual(valid.partitions, parts, 'accepted as given');
      } catch (e) {
        assert.ok(isAppError(e) && e.code === 'duplicate_partition', String(e));
        assert.deepEqual(e.extra, { field: `partitions[${expected}]` });
        got = expected;
      }
      assert.equal(got, expected);
    }),
    { seed: 14, numRuns: 500 },
  );
});
