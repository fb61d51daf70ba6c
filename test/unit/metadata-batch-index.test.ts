import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BatchIndex, columnsOf } from '../../services/metadata/batch-index';
import { packResults, resultCount, unpackResults } from '../../services/metadata/packed-results';

/**
 * The packed batch index (batch-index.ts) against the simplest reference: an array of batch
 * objects, searched linearly. Random appends, drops from the front and relocations, with
 * record counts and byte offsets large enough to widen and narrow the columns; captures
 * pinned now and then must never see their rows change. Fetch plan entries built from the rows
 * and a snapshot's columns loaded back agree with the reference too.
 */
type Ref = { base: number; count: number; file: number; byteOffset: number; byteLength: number; ts: number };
type Step =
  | { kind: 'push'; count: number; file: number; byteOffset: number; byteLength: number; ts: number }
  | { kind: 'drop'; k: number }
  | { kind: 'relocate'; at: number; file: number; byteOffset: number }
  | { kind: 'pin' };

const big = (max: number) => fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: max }));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), count: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 2 ** 31 - 1 })), file: fc.integer({ min: 0, max: 2 ** 32 - 1 }), byteOffset: big(2 ** 40 - 1), byteLength: fc.integer({ min: 1, max: 2 ** 32 - 1 }), ts: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 253_402_300_799_999 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), k: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('relocate' as const), at: fc.nat(), file: fc.integer({ min: 0, max: 2 ** 32 - 1 }), byteOffset: big(2 ** 40 - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pin' as const }) },
);

function findRef(ref: Ref[], offset: number): number {
  for (let i = 0; i < ref.length; i++) if (offset >= ref[i].base && offset < ref[i].base + ref[i].count) return i;
  return -1;
}

/** A pin: the rows a capture holds, and the columns they gave then. */
function pinOf(ix: BatchIndex) {
  const rows = ix.pinnedRows();
  return { rows, columns: columnsOf(rows).map((c) => Array.from(c)) };
}

test('index lookups and columns equal a plain reference over random appends, drops and relocations', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 120 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }), (steps, probes) => {
      const ix = new BatchIndex();
      const ref: Ref[] = [];
      let next = 0;
      const pinned: ReturnType<typeof pinOf>[] = [];
      for (const s of steps) {
        if (s.kind === 'push') {
          ix.push(next, s.count, s.file, s.byteOffset, s.byteLength, s.ts);
          ref.push({ base: next, count: s.count, file: s.file, byteOffset: s.byteOffset, byteLength: s.byteLength, ts: s.ts });
          next += s.count;
        } else if (s.kind === 'drop') {
          const k = Math.min(s.k, ref.length);
          if (k === 0) continue;
          ix.dropFront(k);
          ref.splice(0, k);
        } else if (s.kind === 'relocate') {
          if (ref.length === 0) continue;
          const at = s.at % ref.length;
          ix.relocate(at, s.file, s.byteOffset);
          Object.assign(ref[at], { file: s.file, byteOffset: s.byteOffset });
        } else {
          ix.pins++;
          pinned.push(pinOf(ix));
        }
        // The layout follows from the content alone.
        assert.equal(ix.length, ref.length);
        assert.equal(ix.relWide, ref.length > 0 && ref[ref.length - 1].base + ref[ref.length - 1].count - ref[0].base >= 2 ** 32);
        assert.equal(ix.byteOffsetWide, ref.some((b) => b.byteOffset >= 2 ** 32));
      }
      for (let i = 0; i < ref.length; i++) {
        const b = ref[i];
        assert.deepEqual(
          [ix.baseOffset(i), ix.recordCount(i), ix.lastOffset(i), ix.file(i), ix.byteOffset(i), ix.byteLength(i), ix.maxTimestamp(i)],
          [b.base, b.count, b.base + b.count - 1, b.file, b.byteOffset, b.byteLength, b.ts],
        );
      }
      const first = ref[0]?.base ?? 0;
      const probeOffsets = [first - 1, first, next - 1, next, ...ref.flatMap((b) => [b.base, b.base + b.count - 1]), ...probes.map((p) => Math.floor(first + p * (next - first + 2)) - 1)];
      for (const o of probeOffsets) assert.equal(ix.find(o), findRef(ref, o), `find(${o})`);
      // Fetch plan entries, narrow rows or wide, as the reference gives them: sized to a budget, then filled.
      const ids: string[] = [];
      const keys: string[] = [];
      const replicas: { region: string; bucket: string; checksum: string }[][] = [];
      for (const b of ref) [ids[b.file], keys[b.file], replicas[b.file]] = [`f${b.file}`, `k${b.file}`, [{ region: 'r', bucket: 'b', checksum: `c${b.file}` }]];
      for (const [j, p] of probes.entries()) {
        const at = Math.floor(p * ref.length);
        if (at >= ref.length) continue;
        const limit = Math.floor(probes[(j + 1) % probes.length] * 2 ** 33);
        const atLeastOne = j % 2 === 0;
        let end = at;
        let bytes = 0;
        while (end < ref.length && (bytes + ref[end].byteLength <= limit || (atLeastOne && end === at))) bytes += ref[end++].byteLength;
        assert.deepEqual(ix.fitting(at, limit, atLeastOne), { count: end - at, bytes });
        assert.deepEqual(
          ix.planned(at, end, ids, keys, replicas),
          ref.slice(at, end).map((b) => ({ fileId: `f${b.file}`, objectKey: `k${b.file}`, replicas: replicas[b.file], byteOffset: b.byteOffset, byteLength: b.byteLength, baseOffset: b.base, lastOffset: b.base + b.count - 1, maxTimestamp: b.ts })),
        );
      }
      // A snapshot writes the columns and loads them back into rows: the same index, flags and all.
      if (ref.length > 0) {
        const loaded = new BatchIndex();
        loaded.loadColumns(ix.origin, ix.end, ix.relWide, ix.byteOffsetWide, columnsOf(ix.pinnedRows()));
        assert.deepEqual([loaded.length, loaded.origin, loaded.end, loaded.relWide, loaded.byteOffsetWide, loaded.capacity], [ix.length, ix.origin, ix.end, ix.relWide, ix.byteOffsetWide, ix.length]);
        assert.deepEqual(columnsOf(loaded.pinnedRows()), columnsOf(ix.pinnedRows()));
        for (const o of probeOffsets) assert.equal(loaded.find(o), ix.find(o));
      }
      // Whatever happened since, a pinned capture's arrays hold what they held.
      for (const pin of pinned) assert.deepEqual(columnsOf(pin.rows).map((c) => Array.from(c)), pin.columns);
      // The columns a capture writes are the index's fields.
      const now = columnsOf(ix.pinnedRows());
      assert.deepEqual(now.map((c) => Array.from(c)), [ref.map((b) => b.base - first), ref.map((b) => b.file), ref.map((b) => b.byteOffset), ref.map((b) => b.byteLength), ref.map((b) => b.ts)]);
    }),
    { seed: 14, numRuns: 300 },
  );
});

test('packed results round-trip every value a result can take', () => {
  const edges = [0, 1, 63, 64, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -1, -2, -3, -4, -5, -(2 ** 31), -(2 ** 52)];
  assert.deepEqual(unpackResults(packResults(edges)), edges);
  assert.equal(resultCount(packResults(edges)), edges.length);
  assert.equal(packResults([]).length, 0);
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: -4, max: 100_000 }), fc.integer({ min: -(2 ** 52), max: 2 ** 53 - 1 })), { maxLength: 300 }), (values) => {
      assert.deepEqual(unpackResults(packResults(values)), values);
    }),
    { seed: 14, numRuns: 300 },
  );
});
