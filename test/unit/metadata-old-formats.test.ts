import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClusterCore } from '../../services/metadata/core';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import { fixtureState } from '../helpers/state-fixture';

/**
 * Snapshots written by older versions still load, as the same state: the fixtures are the
 * encodings, in those formats, of the state test/helpers/state-fixture.ts builds.
 */
const fixture = (name: string) => new Uint8Array(Buffer.from(readFileSync(new URL(`../fixtures/${name}.b64`, import.meta.url), 'utf8'), 'base64'));

function assertSameAnswers(loaded: ClusterCore, built: ClusterCore): void {
  for (const name of ['orders', 'logs']) assert.deepEqual(loaded.describeTopic(name), built.describeTopic(name));
  for (const [topic, partition, offsets] of [['orders', 0, [0, 19, 20, 33, 60]], ['orders', 1, [0, 1, 50]], ['orders', 2, [0, 7, 40]], ['logs', 0, [0, 499, 500, 2000, 3434, 3435]]] as const) {
    for (const offset of offsets) {
      const fetch = { partitions: [{ topic, partition, offset, maxBytes: 300 }], maxBytes: 10_000 };
      if (offset <= built.describeTopic(topic).partitionDetails[partition].highWatermark) assert.deepEqual(loaded.fetchPlan(fetch), built.fetchPlan(fetch));
    }
    const list = { partitions: [-1, -2, -3, 1_600_000_000_000, 1_600_500_000_000, 1_700_000_010_000].map((timestamp) => ({ topic, partition, timestamp })) };
    assert.deepEqual(loaded.listOffsets(list), built.listOffsets(list));
  }
}

test('a format-3 snapshot still loads as the same state', () => {
  const v3 = fixture('state-format-3');
  assert.equal(v3[0], 3);
  const built = fixtureState();
  const loaded = new ClusterCore(decodeState(v3));
  assert.deepEqual(encodeState(loaded.state), encodeState(built.state), 'the same state, in the current format');
  assertSameAnswers(loaded, built);
  // Byte offsets past 4 GiB (the fixture has some) came through exactly.
  const last = built.describeTopic('orders').partitionDetails[1].highWatermark - 1;
  const big = loaded.fetchPlan({ partitions: [{ topic: 'orders', partition: 1, offset: last, maxBytes: 100 }], maxBytes: 100 });
  assert.equal(big.partitions[0].batches[0]?.byteOffset, 2 * (2 ** 32 - 1));
  assert.equal(loaded.state.partition('orders', 1)!.index.byteOffsetWide, true);
  assert.equal(loaded.state.partition('orders', 0)!.index.byteOffsetWide, false);
});

test('a format-2 snapshot (before missing replicas were kept) still loads', () => {
  const plain = fixture('state-format-3-plain');
  // Format 2 is format 3 without the trailing (here empty: one zero byte) section.
  const v2 = Uint8Array.from([2, ...plain.subarray(1, plain.length - 1)]);
  const built = fixtureState(false);
  const loaded = new ClusterCore(decodeState(v2));
  assert.deepEqual(encodeState(loaded.state), encodeState(built.state));
  assertSameAnswers(loaded, built);
});

test('the current format round-trips the fixture state, and replaying it again gives the same bytes', () => {
  const bytes = encodeState(fixtureState().state);
  assert.equal(bytes[0], 4);
  assert.deepEqual(encodeState(decodeState(bytes)), bytes);
  assert.deepEqual(encodeState(fixtureState().state), bytes);
});
