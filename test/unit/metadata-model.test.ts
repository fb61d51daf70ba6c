import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { listDueFiles } from '../../services/metadata/file-lifecycle';
import { fetchOffsets, validateCommitOffsets } from '../../services/metadata/group-offsets';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import { MaintenancePass } from '../../services/metadata/maintenance';
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
 * Random sequences of topic operations, commits (new, retried, conflicting, idempotent
 * producers), producer ids, delete records, retention and expiry, group generations and offset
 * commits, file deletion reports, fetch plans and list-offsets calls run against the real
 * state machine and against a deliberately naive reference model; every answer, every error
 * code and the per-file bookkeeping must agree. Leaders change along the way: the new one
 * starts from the latest snapshot plus the journal after it (what trimming leaves), with none
 * of its predecessor's memory. At the end the journal from the oldest kept snapshot must
 * replay to the same canonical bytes.
 */

const T0 = 1_000_000;
const GRACE = 100;
const topicName = fc.constantFrom('a', 'b', 'c.d', 'c_d', 'zz');
/** Commits mostly name the topics every run starts with. */
const batchTopic = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('a', 'b') }, { weight: 1, arbitrary: topicName });
const partitionNo = fc.integer({ min: 0, max: 3 });
const producer = fc.option(fc.record({ id: fc.integer({ min: 0, max: 2 }), epoch: fc.integer({ min: 0, max: 1 }), seq: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(2 ** 31 - 1)) }), {
  nil: undefined,
  freq: 2,
});
const batch = fc.record({
  topic: batchTopic,
  partition: partitionNo,
  recordCount: fc.integer({ min: 1, max: 4 }),
  byteLength: fc.integer({ min: 1, max: 200 }),
  maxTimestamp: fc.oneof(fc.constant(-1), fc.integer({ min: T0, max: T0 + 400 })),
  producer,
});
const group = fc.constantFrom('g1', 'g2');
const member = fc.constantFrom('', 'm1', 'm2', 'm3');
const command = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('create' as const), name: topicName, partitions: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), name: fc.constantFrom('a', 'b', 'c.d', 'c_d', 'zz', 'zz') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('grow' as const), name: topicName, partitions: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('commit' as const), fileId: fc.nat({ max: 40 }).map((n) => `f${n}`), batches: fc.array(batch, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('retry' as const), pick: fc.nat() }) },
  // The same batches in a new file: what an agent does when it re-uploads after a lost answer.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reupload' as const), pick: fc.nat(), fileId: fc.nat({ max: 1000 }).map((n) => `r${n}`) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('init' as const), txn: fc.option(fc.constantFrom('tx1', 'tx2'), { nil: undefined }), expected: fc.constantFrom('none', 'current', 'previous', 'stale') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('deleteRecords' as const),
      parts: fc.uniqueArray(fc.record({ topic: batchTopic, partition: partitionNo, offset: fc.integer({ min: -1, max: 14 }) }), { minLength: 1, maxLength: 3, selector: (p) => `${p.topic}/${p.partition}` }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('alter' as const), name: topicName, ms: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 300 })), bytes: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 600 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'maintain' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('join' as const), group, members: fc.subarray(['m1', 'm2', 'm3']) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('assign' as const), group }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('offsets' as const),
      group,
      generation: fc.constantFrom('none', 'current', 'old', 'next'),
      member,
      parts: fc.uniqueArray(fc.record({ topic: batchTopic, partition: partitionNo, offset: fc.nat({ max: 20 }), metadata: fc.constantFrom('', 'x', 'BIG') }), {
        minLength: 1,
        maxLength: 3,
        selector: (p) => `${p.topic}/${p.partition}`,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fetchOffsets' as const), group, topics: fc.option(fc.array(batchTopic, { maxLength: 2 }), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteGroup' as const), group }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('report' as const), limit: fc.integer({ min: 1, max: 4 }), extra: fc.constantFrom('none', 'live', 'unknown') }) },
  { weight: 1, arbitrary: fc.constant({ op: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'failover' as const }) },
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
      parts: fc.array(fc.record({ topic: batchTopic, partition: partitionNo, timestamp: fc.oneof(fc.constantFrom(-1, -2, -3), fc.integer({ min: T0, max: T0 + 450 })) }), { minLength: 1, maxLength: 3 }),
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

const member0 = (memberId: string) => ({ memberId, groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, assignment: null });

test('the state machine agrees with a reference model over random operation sequences and leader changes', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 6, max: 16 }), fc.array(command, { minLength: 5, maxLength: 100, size: 'large' }), (autoCreate, limit, commands) => {
      const cluster = clusterRef({ autoCreateTopics: autoCreate, producerIdExpirationMs: 300, offsetsRetentionMs: 500, limits: { partitionsPerCluster: limit, maxRetentionMs: -1 } });
      let core = new ClusterCore();
      const model = new ReferenceModel(cluster);
      const entries: Uint8Array[] = [];
      /** Snapshots as [state bytes, entries included]; trimming keeps the journal from the one before the latest. */
      const snapshots: [Uint8Array, number][] = [[encodeState(core.state), 0]];
      const sent: CommitFileInput[] = [];
      let now = T0;
      const write = (req: WriteRequest) =>
        outcome(() => {
          const done = core.execute(req, now);
          if (done.bytes) entries.push(buildEntry([done.bytes]));
          return done.answer;
        });
      const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'topicId' || k === 'createdAt' ? undefined : v)));
      for (const [name, partitions] of [['a', 3], ['b', 2]] as const) {
        assert.deepEqual(strip(write({ kind: 'createTopic', cluster, input: { name, partitions } })), model.createTopic(name, partitions));
      }

      for (const c of commands) {
        now++;
        switch (c.op) {
          case 'create':
            assert.deepEqual(strip(write({ kind: 'createTopic', cluster, input: { name: c.name, partitions: c.partitions } })), model.createTopic(c.name, c.partitions));
            break;
          case 'delete':
            assert.deepEqual(strip(write({ kind: 'deleteTopic', cluster, name: c.name })), model.deleteTopic(c.name, now));
            break;
          case 'grow':
            assert.deepEqual(strip(write({ kind: 'updateTopic', cluster, name: c.name, input: { partitions: c.partitions } })), model.grow(c.name, c.partitions));
            break;
          case 'alter':
            assert.deepEqual(
              strip(write({ kind: 'updateTopic', cluster, name: c.name, input: { config: { 'retention.ms': c.ms, 'retention.bytes': c.bytes } } })),
              model.alterRetention(c.name, c.ms, c.bytes),
            );
            break;
          case 'commit':
          case 'retry':
          case 'reupload': {
            const earlier = c.op === 'commit' ? undefined : sent[c.pick % Math.max(1, sent.length)];
            const file = c.op === 'commit' ? toFile(c.fileId, c.batches) : c.op === 'retry' ? earlier : earlier && { ...earlier, fileId: c.fileId };
            if (!file) break;
            sent.push(file);
            assert.deepEqual(write({ kind: 'commitFile', cluster, commit: validateCommit(file, cluster) }), model.commit(file, now));
            break;
          }
          case 'init': {
            const t = c.txn === undefined ? undefined : model.transactional.get(c.txn);
            const pair: [number, number] | undefined =
              !t || c.expected === 'none' ? undefined : c.expected === 'current' ? [t.id, t.epoch] : c.expected === 'previous' ? [t.prevId, t.prevEpoch] : [t.id + 7, 0];
            const input = { transactionalId: c.txn, ...(pair && pair[0] >= 0 ? { producerId: pair[0], producerEpoch: pair[1] } : {}) };
            assert.deepEqual(write({ kind: 'initProducerId', cluster, input }), model.initProducerId(c.txn, pair && pair[0] >= 0 ? pair : undefined, now));
            break;
          }
          case 'deleteRecords':
            assert.deepEqual(write({ kind: 'deleteRecords', cluster, input: validateDeleteRecords({ partitions: c.parts }) }), model.deleteRecords(c.parts, now));
            break;
          case 'time':
            now += c.ms;
            break;
          case 'maintain': {
            const pass = new MaintenancePass();
            while (!(write({ kind: 'maintenance', cluster, pass }) as { ok: { done: boolean } }).ok.done);
            model.maintain(now);
            break;
          }
          case 'join': {
            const generation = (core.state.groups.get(c.group)?.generation ?? 0) + 1;
            const op = { type: 'groupJoined' as const, group: c.group, generation, protocolType: 'consumer', protocol: 'range', leader: c.members[0] ?? '', members: c.members.map(member0), at: now };
            assert.deepEqual(write({ kind: 'groupJournal', cluster, ops: [op] }), { ok: undefined });
            assert.equal(model.groups.joined(c.group, c.members, now), generation);
            break;
          }
          case 'assign': {
            const g = core.state.groups.get(c.group);
            if (!g || g.generation === 0) break;
            const assignments = g.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) }));
            write({ kind: 'groupJournal', cluster, ops: [{ type: 'groupAssigned', group: c.group, generation: g.generation, assignments }] });
            model.groups.assigned(c.group);
            break;
          }
          case 'offsets': {
            const current = core.state.groups.get(c.group)?.generation ?? 0;
            const generation = { none: -1, current, old: current - 1, next: current + 1 }[c.generation];
            // 'BIG' stands for metadata over Kafka's 4,096-byte limit.
            const parts = c.parts.map((p) => ({ ...p, metadata: p.metadata === 'BIG' ? 'y'.repeat(4097) : p.metadata }));
            const input = { generationId: generation, memberId: c.member, offsets: parts };
            const expected = model.groups.commit(c.group, generation, c.member, parts, now);
            assert.deepEqual(write({ kind: 'commitOffsets', cluster, group: c.group, input: validateCommitOffsets(input) }), expected);
            break;
          }
          case 'fetchOffsets':
            assert.deepEqual(fetchOffsets(core.state, c.group, c.topics), model.groups.fetch(c.group, c.topics));
            break;
          case 'deleteGroup':
            assert.deepEqual(write({ kind: 'deleteGroup', cluster, group: c.group }), model.groups.delete(c.group));
            break;
          case 'report': {
            const due = listDueFiles(core.state, now, GRACE, { limit: 1000 }).items.map((f) => f.fileId);
            assert.deepEqual(due, model.dueFiles(now, GRACE));
            const extra = c.extra === 'live' ? [...model.files.entries()].find(([, f]) => f.live > 0)?.[0] : c.extra === 'unknown' ? 'never' : undefined;
            const ids = [...due.slice(0, c.limit), ...(extra ? [extra] : [])];
            if (ids.length > 0) assert.deepEqual(write({ kind: 'filesDeleted', cluster, fileIds: ids }), model.filesDeleted(ids));
            break;
          }
          case 'snapshot':
            snapshots.push([encodeState(core.state), entries.length]);
            break;
          case 'failover': {
            // The new leader knows the latest snapshot and the journal after it, nothing else.
            const [bytes, included] = snapshots[snapshots.length - 1];
            const next = new ClusterCore(decodeState(bytes));
            for (const e of entries.slice(included)) next.replay(e);
            assert.deepEqual(encodeState(next.state), encodeState(core.state), 'the new leader recovers the state exactly');
            core = next;
            model.failover();
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
        assert.deepEqual(strip(core.listTopics()), model.listTopics());
        for (const name of model.topicNames()) assert.deepEqual(strip(core.describeTopic(name)), model.describeTopic(name));
        for (const [fileId, f] of model.files) {
          const rec = core.state.fileById(fileId)!;
          assert.equal(rec.live, f.live, `live batches of ${fileId}`);
          assert.equal(rec.state === FILE_DELETE_PENDING, f.live === 0, `deletion mark of ${fileId}`);
        }
        assert.equal(core.state.files.size, model.files.size, 'reported files left the state');
        assert.deepEqual([...core.state.groups.keys()].sort(), [...model.groups.groups.keys()].sort());
      }

      const bytes = encodeState(core.state);
      assert.deepEqual(encodeState(decodeState(bytes)), bytes, 'decode/encode is the identity');
      // What trimming keeps: the snapshot before the latest and the journal after it.
      const [base, included] = snapshots[Math.max(0, snapshots.length - 2)];
      const replayed = new ClusterCore(decodeState(base));
      for (const e of entries.slice(included)) replayed.replay(e);
      assert.deepEqual(encodeState(replayed.state), bytes, 'the kept snapshot and journal rebuild the same state');
    }),
    { numRuns: 300 },
  );
});
