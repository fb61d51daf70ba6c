import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import { snapshotStore } from '../../services/metadata/snapshot-store';
import { releaseCapture } from '../../services/metadata/state-capture';
import { captureForSnapshot, decodeState, encodeCapturedState, encodeState } from '../../services/metadata/state-codec';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterPk } from '../../shared/keys';
import { startTestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf } from '../helpers/metadata';

/**
 * A snapshot of a state with tens of thousands of batches, the way the snapshotter writes it
 * (capture, sliced encode while commits and trims go on, deflate in pieces, 128 KB chunks in
 * the real store) loads back as the state at the capture.
 */
test('a 24,000-batch state snapshots through the store and loads back as it was at the capture', async () => {
  const ref = clusterRef({ limits: { partitionsPerCluster: 1000, maxRetentionMs: -1 } });
  const core = new ClusterCore();
  let now = 1_700_000_000_000;
  const run = (req: WriteRequest) => core.execute(req, ++now).answer;
  for (const name of ['a', 'b']) run({ kind: 'createTopic', cluster: ref, input: { name, partitions: 50 } });
  let n = 0;
  const commit = () => {
    const specs = Array.from({ length: 20 }, (_, i) => ({ topic: i % 2 ? 'a' : 'b', partition: (n * 7 + i) % 50, recordCount: 1 + ((n + i) % 9), maxTimestamp: i % 5 ? now + i : -1, byteLength: n % 97 === 0 && i < 2 ? 2 ** 32 - 1 : 500 }));
    run({ kind: 'commitFile', cluster: ref, commit: validateCommit(fileOf(`f${n++}`, specs), ref) });
  };
  for (let i = 0; i < 1200; i++) commit();
  const trim = (p: number) => run({ kind: 'deleteRecords', cluster: ref, input: validateDeleteRecords({ partitions: [{ topic: 'a', partition: p, offset: Math.floor(core.state.partition('a', p)!.highWatermark / 3) }] }) });
  for (let p = 0; p < 50; p += 5) trim(p);
  const expected = encodeState(core.state);
  assert.ok(expected.length > 500_000, 'large enough for several chunks');

  const capture = captureForSnapshot(core.state);
  const encoding = encodeCapturedState(capture, 0, 64);
  // The state moves on while the slices run.
  for (let i = 0; i < 50; i++) {
    commit();
    if (i % 10 === 0) trim(1 + i / 10);
    await new Promise((r) => setImmediate(r));
  }
  const parts = await encoding;
  const d = await startTestDynamo({ prefix: 'snapscale-' });
  try {
    const store = snapshotStore(d.db, d.tables.metadata);
    const pk = clusterPk(ref.tenantId, ref.clusterId);
    const pointer = await store.write(pk, 1, parts, { chunkBytes: 128_000, createdAt: now });
    releaseCapture(capture);
    assert.ok(pointer && pointer.chunks > 1);
    const loaded = await store.load(pk, pointer!);
    assert.deepEqual(new Uint8Array(loaded), expected);
    assert.deepEqual(encodeState(decodeState(loaded)), expected);
  } finally {
    await d.close();
  }
  // And the state after the changes round-trips too.
  const after = encodeState(core.state);
  assert.deepEqual(encodeState(decodeState(after)), after);
});
