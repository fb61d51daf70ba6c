import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock } from '../../shared/clock';
import { AppError, isAppError } from '../../shared/errors';
import { GroupCoordinator } from '../../services/metadata/group-coordinator';
import { WaitBudget } from '../../services/metadata/group-live';
import { validateCommitOffsets, validateGroupId } from '../../services/metadata/group-offsets';
import { DEFAULT_GROUP_SETTINGS, validateHeartbeat, validateJoin, validateLeave, validateSync } from '../../services/metadata/group-protocol';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import { ClusterCore } from '../../services/metadata/core';
import { encodeState } from '../../services/metadata/state-codec';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateFetchPlan, validateListOffsets } from '../../services/metadata/validate-reads';
import { clusterRef, fileOf } from '../helpers/metadata';

/**
 * Hostile inputs: arbitrary JSON-like values, and valid requests with one field (at any depth)
 * replaced by an arbitrary value. The only acceptable failure is a 4xx AppError, and a
 * refused request leaves the state's encoding untouched.
 */

/** Replaces the value at a random path of `base` with `value`. */
function mutate(base: unknown, path: number[], value: unknown): unknown {
  if (path.length === 0 || typeof base !== 'object' || base === null) return value;
  const copy = (Array.isArray(base) ? [...base] : { ...base }) as Record<string, unknown>;
  const keys = Object.keys(copy);
  if (keys.length === 0) return value;
  const key = keys[path[0] % keys.length];
  copy[key] = mutate(copy[key], path.slice(1), value);
  return copy;
}

const hostile = (valid: unknown) =>
  fc.oneof(
    fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true }),
    fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), fc.anything()).map(([path, value]) => mutate(valid, path, value)),
    fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom(-1, 2 ** 31, 1e300, NaN, Infinity, 0.5, '', '..', null, [], {}, 'x'.repeat(300))).map(([path, v]) => mutate(valid, path, v)),
  );

test('hostile inputs get 4xx AppErrors and change nothing', () => {
  const cluster = clusterRef({ autoCreateTopics: true, regions: ['us-east-1', 'eu-west-1'], writeQuorum: 1 });
  const core = new ClusterCore();
  core.execute({ kind: 'createTopic', cluster, input: { name: 't', partitions: 2 } }, 1);
  const validCommit = fileOf('base', [{ topic: 't', partition: 0, producer: { id: 1, epoch: 0, seq: 0 } }, { topic: 't', partition: 1 }]);
  const validFetch = { partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }], maxBytes: 100 };
  const validList = { partitions: [{ topic: 't', partition: 0, timestamp: -3 }] };
  const validTopic = { name: 'n', partitions: 1, config: { 'retention.ms': 1000, 'retention.bytes': -1, 'cleanup.policy': 'delete' } };
  let accepted = 0;
  let refused = 0;

  const attempt = (run: () => unknown) => {
    const before = encodeState(core.state);
    try {
      run();
      accepted++;
    } catch (e) {
      assert.ok(isAppError(e), `not an AppError: ${String(e)}`);
      assert.ok(e.status >= 400 && e.status < 500, `status ${e.status} (${e.code})`);
      assert.deepEqual(encodeState(core.state), before, `${e.code} changed the state`);
      refused++;
    }
  };
  fc.assert(
    fc.property(hostile(validCommit), hostile(validFetch), hostile(validList), hostile(validTopic), fc.nat(), (commit, fetch, list, topic, n) => {
      attempt(() => {
        const c = validateCommit(commit, cluster);
        // Give each accepted mutation its own fileId so it is not merely a retry.
        core.execute({ kind: 'commitFile', cluster, commit: validateCommit({ ...c.body, fileId: `f${n}-${accepted}` }, cluster) }, 2);
      });
      attempt(() => core.fetchPlan(validateFetchPlan(fetch)));
      attempt(() => core.listOffsets(validateListOffsets(list)));
      attempt(() => core.execute({ kind: 'createTopic', cluster, input: topic }, 3));
      attempt(() => core.execute({ kind: 'updateTopic', cluster, name: 't', input: topic }, 4));
    }),
    { numRuns: 400 },
  );
  assert.ok(accepted > 50 && refused > 500, `accepted ${accepted}, refused ${refused}`);
});

test('hostile producer-id, delete-records, offset and group-protocol requests get 4xx AppErrors and change nothing', async () => {
  const cluster = clusterRef();
  const core = new ClusterCore();
  core.execute({ kind: 'createTopic', cluster, input: { name: 't', partitions: 2 } }, 1);
  const groups = new GroupCoordinator({
    clock: manualClock(1_000),
    settings: { ...DEFAULT_GROUP_SETTINGS, tickMs: 3_600_000 },
    budget: new WaitBudget(1_000_000),
    state: () => core.state,
    persist: async () => undefined,
  });
  const valid = {
    init: { transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: 0, producerEpoch: 0 },
    deleteRecords: { partitions: [{ topic: 't', partition: 0, offset: -1 }] },
    offsets: { memberId: 'm', generationId: 1, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1, metadata: 'x', leaderEpoch: 0 }] },
    join: { memberId: '', clientId: 'c', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: 'AAE=' }] },
    sync: { memberId: 'm', generationId: 1, assignments: [{ memberId: 'm', assignment: 'AAE=' }] },
    heartbeat: { memberId: 'm', generationId: 1 },
    leave: { members: [{ memberId: 'm' }] },
  };
  let refused = 0;
  const attempt = async (run: () => unknown) => {
    const before = encodeState(core.state);
    try {
      await run();
    } catch (e) {
      assert.ok(isAppError(e), `not an AppError: ${String(e)}`);
      assert.ok(e.status >= 400 && e.status < 500, `status ${e.status} (${e.code})`);
      assert.deepEqual(encodeState(core.state), before, `${e.code} changed the state`);
      refused++;
    }
  };
  await fc.assert(
    fc.asyncProperty(
      fc.record(Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, hostile(v)])) as { [K in keyof typeof valid]: fc.Arbitrary<unknown> }),
      fc.string({ maxLength: 300 }),
      async (x, group) => {
        await attempt(() => core.execute({ kind: 'initProducerId', cluster, input: x.init }, 2));
        await attempt(() => core.execute({ kind: 'deleteRecords', cluster, input: validateDeleteRecords(x.deleteRecords) }, 2));
        await attempt(() => core.execute({ kind: 'commitOffsets', cluster, group: validateGroupId(group), input: validateCommitOffsets(x.offsets), membership: groups }, 2));
        // Group protocol calls only answer (in memory): they must not throw anything but 4xx.
        await attempt(() => groups.heartbeat(validateGroupId(group), validateHeartbeat(x.heartbeat)));
        await attempt(() => groups.leave(validateGroupId(group), validateLeave(x.leave)));
        await attempt(() => Promise.race([groups.join(validateGroupId(group), validateJoin(x.join)), Promise.resolve()]));
        await attempt(() => Promise.race([groups.sync(validateGroupId(group), validateSync(x.sync)), Promise.resolve()]));
      },
    ),
    { numRuns: 300 },
  );
  groups.dispose(new AppError(503, 'gone', 'gone'));
  assert.ok(refused > 300, `refused ${refused}`);
});
