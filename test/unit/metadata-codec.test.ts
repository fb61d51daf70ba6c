import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteWriter, TruncatedInputError } from '../../services/metadata/bytes';
import { buildEntry, decodeEntry, encodeCommitBody, encodeOps, type Op } from '../../services/metadata/ops';
import { ClusterCore } from '../../services/metadata/core';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf } from '../helpers/metadata';

test('varints, zigzag ints and strings survive a round trip, at the edges too', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.maxSafeNat(), fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), fc.string({ unit: 'grapheme' }))),
      (values) => {
        const w = new ByteWriter(4);
        for (const [u, i, s] of values) {
          w.uint(u);
          w.int(i);
          w.str(s);
        }
        const r = new ByteReader(w.finish());
        for (const [u, i, s] of values) {
          assert.equal(r.uint(), u);
          assert.equal(r.int(), i);
          assert.equal(r.str(), s);
        }
        assert.ok(r.done);
      },
    ),
  );
});

test('a reader refuses to read past the end', () => {
  const w = new ByteWriter();
  w.str('hello');
  const bytes = w.finish();
  assert.throws(() => new ByteReader(bytes.subarray(0, 3)).str(), TruncatedInputError);
  assert.throws(() => new ByteReader(new Uint8Array([0x80, 0x80])).uint(), TruncatedInputError);
});

const config = { 'retention.ms': 3_600_000, 'retention.bytes': -1, 'cleanup.policy': 'delete' as const };

test('journal entries decode to the operations that were encoded', () => {
  const commit = validateCommit(
    fileOf('f-1', [
      { topic: 'a', partition: 0, recordCount: 3, maxTimestamp: -1 },
      { topic: 'b.c', partition: 7, producer: { id: 2 ** 40, epoch: 3, seq: 2 ** 31 - 1 } },
    ]),
    clusterRef(),
  );
  const ops: Op[] = [
    { type: 'fence', epoch: 4, holder: 'node-a', at: 1 },
    { type: 'createTopic', name: 'a', topicId: 'id-a', partitions: 3, config, at: 2 },
    { type: 'addPartitions', name: 'a', partitions: 5 },
    { type: 'alterConfig', name: 'a', config: { ...config, 'retention.bytes': 10 } },
    { type: 'commitFile', body: commit.body, fingerprint: commit.fingerprint, at: 3, encodedBody: commit.encodedBody },
    { type: 'deleteTopic', name: 'a', at: 4 },
  ];
  const entry = buildEntry([encodeOps(ops.slice(0, 3)), encodeOps(ops.slice(3))]);
  const { encodedBody: _skip, ...commitOp } = ops[4] as Extract<Op, { type: 'commitFile' }>;
  assert.deepEqual(decodeEntry(entry), [...ops.slice(0, 4), commitOp, ops[5]]);
  // The pre-encoded body and a fresh encoding are the same bytes.
  assert.deepEqual(encodeOps([commitOp]), encodeOps([ops[4]]));
  assert.equal(encodeCommitBody(commit.body).fingerprint, commit.fingerprint);
});

test('state encoding is canonical: decode then encode gives the same bytes, and replay gives the same state', () => {
  const cluster = clusterRef({ autoCreateTopics: true });
  const core = new ClusterCore();
  const entries: Uint8Array[] = [];
  const run = (req: Parameters<ClusterCore['execute']>[0], now: number) => {
    const done = core.execute(req, now);
    if (done.bytes) entries.push(buildEntry([done.bytes]));
  };
  run({ kind: 'createTopic', cluster, input: { name: 'orders', partitions: 3 } }, 10);
  run({ kind: 'commitFile', cluster, commit: validateCommit(fileOf('f1', [{ topic: 'orders', partition: 1, recordCount: 4 }, { topic: 'auto', partition: 0 }]), cluster) }, 11);
  run({ kind: 'commitFile', cluster, commit: validateCommit(fileOf('f2', [{ topic: 'orders', partition: 1, producer: { id: 9, epoch: 0, seq: 0 } }]), cluster) }, 12);
  run({ kind: 'updateTopic', cluster, name: 'orders', input: { partitions: 4, config: { 'retention.ms': '60000' } } }, 13);
  run({ kind: 'deleteTopic', cluster, name: 'auto' }, 14);
  const bytes = encodeState(core.state);
  assert.deepEqual(encodeState(decodeState(bytes)), bytes);
  const replayed = new ClusterCore();
  for (const e of entries) replayed.replay(e);
  assert.deepEqual(encodeState(replayed.state), bytes);
  // Anything changed shows in the encoding.
  run({ kind: 'commitFile', cluster, commit: validateCommit(fileOf('f3', [{ topic: 'orders', partition: 3 }]), cluster) }, 15);
  assert.notDeepEqual(encodeState(core.state), bytes);
});

test('a decoded state answers like the original', () => {
  const cluster = clusterRef();
  const core = new ClusterCore();
  core.execute({ kind: 'createTopic', cluster, input: { name: 't', partitions: 1 } }, 1);
  for (let i = 0; i < 50; i++) {
    core.execute({ kind: 'commitFile', cluster, commit: validateCommit(fileOf(`f${i}`, [{ topic: 't', partition: 0, recordCount: 2, maxTimestamp: 1000 + (i % 7) }]), cluster) }, 2);
  }
  const copy = new ClusterCore(decodeState(encodeState(core.state)));
  const fetch = { partitions: [{ topic: 't', partition: 0, offset: 37, maxBytes: 250 }], maxBytes: 1000 };
  assert.deepEqual(copy.fetchPlan(fetch), core.fetchPlan(fetch));
  const list = { partitions: [-1, -2, -3, 1003, 2000].map((timestamp) => ({ topic: 't', partition: 0, timestamp })) };
  assert.deepEqual(copy.listOffsets(list), core.listOffsets(list));
  assert.deepEqual(copy.describeTopic('t'), core.describeTopic('t'));
});
