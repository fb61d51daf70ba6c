import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { buildEntry } from '../../services/metadata/ops';
import { FILE_DELETE_PENDING } from '../../services/metadata/state';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import type { CommitFileInput, FetchPlanInput, ListOffsetsInput } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateFetchPlan, validateListOffsets } from '../../services/metadata/validate-reads';
import { isAppError } from '../../shared/errors';
import { clusterRef } from '../helpers/metadata';
import { ReferenceModel } from '../helpers/metadata-model';

/**
 * Random sequences of topic operations, commits (new, retried, conflicting), fetch plans and
 * list-offsets calls run against the real state machine and against a deliberately naive
 * reference model; every answer, every error code and the per-file bookkeeping must agree.
 * At the end the journal written along the way must replay to the same canonical bytes.
 */

const topicName = fc.constantFrom('a', 'b', 'c.d', 'c_d', 'zz');
/** Commits mostly name the topics every run starts with. */
const batchTopic = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('a', 'b') }, { weight: 1, arbitrary: topicName });
const partitionNo = fc.integer({ min: 0, max: 3 });
const producer = fc.option(fc.record({ id: fc.integer({ min: 1, max: 2 }), epoch: fc.integer({ min: 0, max: 1 }), seq: fc.integer({ min: 0, max: 5 }) }), {
  nil: undefined,
  freq: 2,
});
const batch = fc.record({
  topic: batchTopic,
  partition: partitionNo,
  recordCount: fc.integer({ min: 1, max: 4 }),
  byteLength: fc.integer({ min: 1, max: 200 }),
  maxTimestamp: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 50 })),
  producer,
});
const command = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('create' as const), name: topicName, partitions: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), name: fc.constantFrom('a', 'b', 'c.d', 'c_d', 'zz', 'zz') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('grow' as const), name: topicName, partitions: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('commit' as const), fileId: fc.nat({ max: 40 }).map((n) => `f${n}`), batches: fc.array(batch, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('retry' as const), pick: fc.nat() }) },
  // The same batches in a new file: what an agent does when it re-uploads after a lost answer.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reupload' as const), pick: fc.nat(), fileId: fc.nat({ max: 1000 }).map((n) => `r${n}`) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('fetch' as const),
      parts: fc.uniqueArray(fc.record({ topic: batchTopic, partition: partitionNo, offset: fc.integer({ min: 0, max: 12 }), maxBytes: fc.integer({ min: 0, max: 350 }) }), {
        minLength: 1,
        maxLength: 3,
        selector: (p) => `${p.topic}/${p.partition}`,
      }),
      maxBytes: fc.integer({ min: 0, max: 700 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('list' as const),
      parts: fc.array(fc.record({ topic: batchTopic, partition: partitionNo, timestamp: fc.oneof(fc.constantFrom(-1, -2, -3), fc.integer({ min: 0, max: 55 })) }), { minLength: 1, maxLength: 3 }),
    }),
  },
);

type BatchSpec = typeof batch extends fc.Arbitrary<infer T> ? T : never;

function toFile(fileId: string, batches: BatchSpec[]): CommitFileInput {
  let pos = 0;
  return {
    fileId,
    objectKey: `objects/${fileId}-${batches.length}`,
    sizeBytes: batches.reduce((n, b) => n + b.byteLength, 0),
    replicas: [{ region: 'us-east-1', bucket: 'bucket-us-east-1', checksum: `c-${fileId}` }],
    batches: batches.map((b) => {
      const out = { topic: b.topic, partition: b.partition, byteOffset: pos, byteLength: b.byteLength, recordCount: b.recordCount, maxTimestamp: b.maxTimestamp };
      pos += b.byteLength;
      return b.producer ? { ...out, producerId: b.producer.id, producerEpoch: b.producer.epoch, baseSequence: b.producer.seq } : out;
    }),
  };
}

/** Runs `fn`, turning an AppError into `{ error: code }` so answers and refusals compare alike. */
function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (e) {
    if (isAppError(e)) return { error: e.code, status: e.status };
    throw e;
  }
}

test('the state machine agrees with a reference model over random operation sequences', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 6, max: 16 }), fc.array(command, { minLength: 5, maxLength: 80, size: 'large' }), (autoCreate, limit, commands) => {
      const cluster = clusterRef({ autoCreateTopics: autoCreate, limits: { partitionsPerCluster: limit, maxRetentionMs: -1 } });
      const core = new ClusterCore();
      const model = new ReferenceModel(cluster);
      const entries: Uint8Array[] = [];
      const sent: CommitFileInput[] = [];
      let now = 1_000;
      const write = (req: WriteRequest) =>
        outcome(() => {
          const done = core.execute(req, ++now);
          if (done.bytes) entries.push(buildEntry([done.bytes]));
          return done.answer;
        });
      const stripIds = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'topicId' || k === 'createdAt' ? undefined : v)));
      for (const [name, partitions] of [['a', 3], ['b', 2]] as const) {
        assert.deepEqual(stripIds(write({ kind: 'createTopic', cluster, input: { name, partitions } })), model.createTopic(name, partitions));
      }

      for (const c of commands) {
        switch (c.op) {
          case 'create':
            assert.deepEqual(stripIds(write({ kind: 'createTopic', cluster, input: { name: c.name, partitions: c.partitions } })), model.createTopic(c.name, c.partitions));
            break;
          case 'delete':
            assert.deepEqual(stripIds(write({ kind: 'deleteTopic', cluster, name: c.name })), model.deleteTopic(c.name));
            break;
          case 'grow':
            assert.deepEqual(stripIds(write({ kind: 'updateTopic', cluster, name: c.name, input: { partitions: c.partitions } })), model.grow(c.name, c.partitions));
            break;
          case 'commit':
          case 'retry':
          case 'reupload': {
            const earlier = c.op === 'commit' ? undefined : sent[c.pick % Math.max(1, sent.length)];
            const file = c.op === 'commit' ? toFile(c.fileId, c.batches) : c.op === 'retry' ? earlier : earlier && { ...earlier, fileId: c.fileId };
            if (!file) break;
            sent.push(file);
            assert.deepEqual(write({ kind: 'commitFile', cluster, commit: validateCommit(file, cluster) }), model.commit(file));
            break;
          }
          case 'fetch': {
            const input: FetchPlanInput = { partitions: c.parts, maxBytes: c.maxBytes };
            assert.deepEqual(core.fetchPlan(validateFetchPlan(input)), model.fetchPlan(input));
            break;
          }
          case 'list': {
            const input: ListOffsetsInput = { partitions: c.parts };
            assert.deepEqual(core.listOffsets(validateListOffsets(input)), model.listOffsets(input));
            break;
          }
        }
        assert.deepEqual(stripIds(core.listTopics()), model.listTopics());
        for (const name of model.topicNames()) assert.deepEqual(stripIds(core.describeTopic(name)), model.describeTopic(name));
        for (const [fileId, f] of model.files) {
          const rec = core.state.fileById(fileId)!;
          assert.equal(rec.live, f.live, `live batches of ${fileId}`);
          assert.equal(rec.state === FILE_DELETE_PENDING, f.live === 0, `deletion mark of ${fileId}`);
        }
      }

      const bytes = encodeState(core.state);
      assert.deepEqual(encodeState(decodeState(bytes)), bytes, 'decode/encode is the identity');
      const replayed = new ClusterCore();
      for (const e of entries) replayed.replay(e);
      assert.deepEqual(encodeState(replayed.state), bytes, 'replaying the journal rebuilds the same state');
    }),
    { numRuns: 300 },
  );
});
