import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { MaintenancePass } from '../../services/metadata/maintenance';
import { buildEntry, decodeEntry } from '../../services/metadata/ops';
import { MAX_PRODUCER_EPOCH, PRODUCER_ID_BLOCK } from '../../services/metadata/producer-ids';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import type { CommitFileInput, CommitFileResult, InitProducerIdResult } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';

/** Kafka InitProducerId and idempotent-producer expiry on the state machine alone. */

const DAY = 86_400_000;

function setup() {
  const cluster = clusterRef({ producerIdExpirationMs: 7 * DAY });
  let core = new ClusterCore();
  const journal: Uint8Array[] = [];
  let now = 1_000_000;
  const run = (req: WriteRequest) => {
    const done = core.execute(req, now);
    if (done.bytes) journal.push(buildEntry([done.bytes]));
    return done.answer;
  };
  return {
    cluster,
    journal,
    get core() {
      return core;
    },
    advance: (ms: number) => (now += ms),
    init: (input: object = {}) => run({ kind: 'initProducerId', cluster, input }) as InitProducerIdResult,
    commit: (file: CommitFileInput) => run({ kind: 'commitFile', cluster, commit: validateCommit(file, cluster) }) as CommitFileResult,
    create: (name: string, partitions: number) => run({ kind: 'createTopic', cluster, input: { name, partitions } }),
    maintain: () => {
      const pass = new MaintenancePass();
      for (;;) if ((run({ kind: 'maintenance', cluster, pass }) as { done: boolean }).done) return;
    },
    /** A new leader: the state from a snapshot, its own (empty) memory. */
    failover: () => {
      core = new ClusterCore(decodeState(encodeState(core.state)));
    },
  };
}

const errorsOf = (r: CommitFileResult) => r.results.map((x) => ('error' in x ? x.error : 'ok'));

test('producer ids are unique, reserved a block at a time, and never reused after a leader change', () => {
  const s = setup();
  const first = s.init();
  assert.deepEqual(first, { producerId: 0, producerEpoch: 0 });
  assert.equal(s.journal.length, 1, 'the first id reserves a block through the journal');
  const ids = [first.producerId];
  for (let i = 1; i < PRODUCER_ID_BLOCK + 5; i++) ids.push(s.init().producerId);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids.slice(0, 3), [0, 1, 2]);
  assert.equal(s.journal.length, 2, 'one more block after the first is used up');
  assert.deepEqual(decodeEntry(s.journal[1]), [{ type: 'allocateProducerIds', upTo: 2 * PRODUCER_ID_BLOCK }]);
  // A new leader does not know how much of the block its predecessor handed out: it skips the rest.
  s.failover();
  assert.equal(s.init().producerId, 2 * PRODUCER_ID_BLOCK);
  assert.equal(s.core.state.producers.ceiling, 3 * PRODUCER_ID_BLOCK);
});

test('a transactional id keeps its producer id; each init bumps the epoch and fences the previous instance', () => {
  const s = setup();
  s.create('t', 1);
  const a = s.init({ transactionalId: 'orders-tx', transactionTimeoutMs: 60_000 });
  assert.deepEqual(a, { producerId: 0, producerEpoch: 0 });
  const batch = (fileId: string, epoch: number, seq: number) => fileOf(fileId, [{ topic: 't', partition: 0, producer: { id: a.producerId, epoch, seq } }]);
  assert.deepEqual(errorsOf(s.commit(batch('e0-0', 0, 0))), ['ok']);
  const b = s.init({ transactionalId: 'orders-tx' });
  assert.deepEqual(b, { producerId: 0, producerEpoch: 1 });
  // The old instance is fenced at once, before the new one wrote anything.
  assert.deepEqual(errorsOf(s.commit(batch('e0-1', 0, 1))), ['INVALID_PRODUCER_EPOCH']);
  assert.deepEqual(errorsOf(s.commit(batch('e1-0', 1, 0))), ['ok']);
  // Other transactional ids and plain producers are independent.
  assert.deepEqual(s.init({ transactionalId: 'other' }), { producerId: 1, producerEpoch: 0 });
  assert.deepEqual(s.init(), { producerId: 2, producerEpoch: 0 });
  // KIP-360: naming the current pair bumps it; a stale pair is fenced; a retry of the last bump gets the same answer.
  assert.deepEqual(s.init({ transactionalId: 'orders-tx', producerId: 0, producerEpoch: 1 }), { producerId: 0, producerEpoch: 2 });
  assert.deepEqual(s.init({ transactionalId: 'orders-tx', producerId: 0, producerEpoch: 1 }), { producerId: 0, producerEpoch: 2 }, 'retry');
  assert.deepEqual(s.init({ transactionalId: 'orders-tx', producerId: 0, producerEpoch: 0 }), { producerId: -1, producerEpoch: -1, error: 'PRODUCER_FENCED' });
  assert.deepEqual(s.init({ transactionalId: 'orders-tx', transactionTimeoutMs: 3_600_000 }), { producerId: -1, producerEpoch: -1, error: 'INVALID_TRANSACTION_TIMEOUT' });
  // Survives a leader change exactly.
  s.failover();
  assert.deepEqual(s.init({ transactionalId: 'orders-tx' }), { producerId: 0, producerEpoch: 3 });
  assert.deepEqual(errorsOf(s.commit(batch('e1-1', 1, 1))), ['INVALID_PRODUCER_EPOCH']);
});

test('an exhausted epoch moves the transactional id to a new producer id at epoch 0', () => {
  const s = setup();
  s.init({ transactionalId: 'tx' });
  s.core.state.producers.transactional.get('tx')!.epoch = MAX_PRODUCER_EPOCH;
  s.core.state.producers.epochs.set(0, MAX_PRODUCER_EPOCH);
  const next = s.init({ transactionalId: 'tx' });
  assert.deepEqual(next, { producerId: 1, producerEpoch: 0 });
  assert.equal(s.core.state.producers.epochs.has(0), false);
});

test('bad InitProducerId requests are 400s', async () => {
  const s = setup();
  await rejectsWith(() => s.init({ transactionalId: '' }), 400, 'invalid_transactional_id');
  await rejectsWith(() => s.init({ transactionalId: 'a\u0000b' }), 400, 'invalid_transactional_id');
  await rejectsWith(() => s.init({ producerId: 4 }), 400, 'invalid_producer_fields');
  await rejectsWith(() => s.init({ producerId: 4, producerEpoch: 40_000 }), 400, 'invalid_producer_fields');
  await rejectsWith(() => s.init({ transactionTimeoutMs: 1.5 }), 400, 'invalid_transaction_timeout');
  assert.equal(s.journal.length, 0);
});

test('idle producer windows and transactional ids expire after producer.id.expiration.ms; active ones stay', () => {
  const s = setup();
  s.create('t', 2);
  const p = (id: number, seq: number, partition = 0) => ({ topic: 't', partition, producer: { id, epoch: 0, seq } });
  s.commit(fileOf('a0', [p(1, 0), p(2, 0), p(1, 0, 1)]));
  s.init({ transactionalId: 'tx' });
  s.advance(6 * DAY);
  s.commit(fileOf('a1', [p(2, 1)]));
  s.advance(DAY + 1);
  s.maintain();
  const windows = (partition: number) => [...(s.core.state.partition('t', partition)!.producers?.keys() ?? [])];
  assert.deepEqual(windows(0), [2], 'producer 1 went idle; producer 2 wrote a day ago');
  assert.deepEqual(windows(1), []);
  assert.equal(s.core.state.partition('t', 1)!.producers, undefined, 'an empty map is not kept');
  assert.equal(s.core.state.producers.transactional.size, 0);
  // Its state gone, producer 1 may start anywhere again (as in Kafka); producer 2 is still checked.
  assert.deepEqual(errorsOf(s.commit(fileOf('b', [p(1, 7), p(2, 5)]))), ['ok', 'OUT_OF_ORDER_SEQUENCE']);
  // Replaying the journal gives the same state.
  const replayed = new ClusterCore();
  for (const e of s.journal) replayed.replay(e);
  assert.deepEqual(encodeState(replayed.state), encodeState(s.core.state));
});
