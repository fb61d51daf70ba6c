import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { isAppError } from '../../shared/errors';
import { ClusterCore } from '../../services/metadata/core';
import { GroupCoordinator } from '../../services/metadata/group-coordinator';
import { WaitBudget } from '../../services/metadata/group-live';
import { validateCommitOffsets } from '../../services/metadata/group-offsets';
import { DEFAULT_GROUP_SETTINGS, validateJoin, validateSync, type JoinResult, type SyncResult } from '../../services/metadata/group-protocol';
import type { Op } from '../../services/metadata/ops';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import type { CommitOffsetsResult } from '../../services/metadata/types';
import { clusterRef } from '../helpers/metadata';

/**
 * The group coordinator without a store: its journal writes go straight into a ClusterCore,
 * held back on demand to show that nothing is answered before it is durable. Time moves by
 * hand and deadlines are checked by calling tick().
 */

function setup(over: Partial<typeof DEFAULT_GROUP_SETTINGS> = {}) {
  const cluster = clusterRef();
  const clock = manualClock(1_800_000_000_000);
  let core = new ClusterCore();
  core.execute({ kind: 'createTopic', cluster, input: { name: 't', partitions: 4 } }, clock.now());
  let hold: Promise<void> | null = null;
  const settings = { ...DEFAULT_GROUP_SETTINGS, initialRebalanceDelayMs: 0, tickMs: 3_600_000, ...over };
  const budget = new WaitBudget(settings.maxWaiting);
  const make = () =>
    new GroupCoordinator({
      clock,
      settings,
      budget,
      state: () => core.state,
      persist: async (ops: Op[]) => {
        core.execute({ kind: 'groupJournal', cluster, ops }, clock.now());
        await hold;
      },
    });
  let c = make();
  const s = {
    clock,
    budget,
    get c() {
      return c;
    },
    get core() {
      return core;
    },
    holdWrites() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    /** A new leader: the state as journaled, a fresh coordinator. */
    failover() {
      c.dispose(new Error('gone') as never);
      core = new ClusterCore(decodeState(encodeState(core.state)));
      c = make();
    },
    join: (memberId: string, over: object = {}) =>
      Promise.resolve(c.join('g', validateJoin({ memberId, clientId: 'app', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: 'AAE=' }], ...over }))),
    /** Kafka's two-step join of a new member: returns the member id it got. */
    async newMember(over: object = {}) {
      const first = (await s.join('', over)) as Extract<JoinResult, { generationId: number }>;
      assert.equal(first.error, 'MEMBER_ID_REQUIRED');
      return first.memberId;
    },
    sync: (memberId: string, generationId: number, assignments: { memberId: string; assignment: string }[] = []) => Promise.resolve(c.sync('g', validateSync({ memberId, generationId, assignments }))),
    heartbeat: (memberId: string, generationId: number) => c.heartbeat('g', { memberId, generationId, groupInstanceId: null }).error ?? 'NONE',
    commit: (memberId: string, generationId: number) =>
      (core.execute({ kind: 'commitOffsets', cluster, group: 'g', input: validateCommitOffsets({ memberId, generationId, offsets: [{ topic: 't', partition: 0, offset: 5 }] }), membership: c }, clock.now()).answer as CommitOffsetsResult).partitions[0].error ?? 'NONE',
  };
  return s;
}

const gen = (r: JoinResult | SyncResult) => {
  assert.ok(!('waiting' in r), 'answered');
  return r as Exclude<JoinResult, { waiting: true }>;
};

test('two members join, the leader assigns, both get their share; commits check the generation', async () => {
  const s = setup();
  const a = await s.newMember();
  const joinedA = gen(await s.join(a));
  assert.deepEqual([joinedA.generationId, joinedA.leader, joinedA.protocolName, joinedA.members.map((m) => m.memberId)], [1, a, 'range', [a]]);
  assert.ok(a.startsWith('app-'));

  const b = await s.newMember();
  const joiningB = s.join(b);
  assert.equal(s.heartbeat(a, 1), 'REBALANCE_IN_PROGRESS', 'a new member makes the others rejoin');
  assert.equal(s.commit(a, 1), 'NONE', 'a member of the current generation may still commit while others join');
  const rejoinA = gen(await s.join(a));
  const joinedB = gen(await joiningB);
  assert.equal(rejoinA.generationId, 2);
  assert.equal(joinedB.generationId, 2);
  assert.equal(rejoinA.leader, a, 'the leader stays the leader');
  assert.deepEqual(rejoinA.members.map((m) => [m.memberId, m.metadata]).sort(), [[a, 'AAE='], [b, 'AAE=']].sort());
  assert.deepEqual(joinedB.members, [], 'only the leader gets the member list');

  const waitingB = s.sync(b, 2);
  assert.equal(s.commit(a, 2), 'REBALANCE_IN_PROGRESS', 'no commits until the assignment is in');
  const syncA = gen(await s.sync(a, 2, [{ memberId: a, assignment: 'YQ==' }, { memberId: b, assignment: 'Yg==' }]));
  assert.equal((syncA as unknown as SyncResult & { assignment: string }).assignment, 'YQ==');
  assert.equal(((await waitingB) as { assignment: string }).assignment, 'Yg==');
  assert.equal(s.heartbeat(b, 2), 'NONE');
  assert.equal(s.heartbeat(b, 1), 'ILLEGAL_GENERATION');
  assert.equal(s.heartbeat('nobody', 2), 'UNKNOWN_MEMBER_ID');
  assert.deepEqual([s.commit(b, 2), s.commit(b, 1), s.commit('nobody', 2), s.commit('', -1)], ['NONE', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'UNKNOWN_MEMBER_ID']);
  const record = s.core.state.groups.get('g')!;
  assert.deepEqual([record.generation, record.leader, record.members.map((m) => [m.memberId, Buffer.from(m.assignment!).toString()]).sort()], [2, a, [[a, 'a'], [b, 'b']].sort()]);
});

test('a member that stops heartbeating is removed after its session; the last to leave empties the group', async () => {
  const s = setup();
  const a = await s.newMember();
  gen(await s.join(a));
  const b = await s.newMember();
  const jb = s.join(b);
  gen(await s.join(a));
  gen(await jb);
  const sb = s.sync(b, 2);
  await s.sync(a, 2, [{ memberId: a, assignment: 'YQ==' }, { memberId: b, assignment: 'Yg==' }]);
  await sb;
  // a keeps beating, b goes silent.
  for (let i = 0; i < 4; i++) {
    s.clock.advance(3_000);
    assert.equal(s.heartbeat(a, 2), 'NONE');
    s.c.tick(s.clock.now());
  }
  assert.equal(s.heartbeat(a, 2), 'REBALANCE_IN_PROGRESS');
  assert.equal(s.heartbeat(b, 2), 'UNKNOWN_MEMBER_ID');
  const alone = gen(await s.join(a));
  assert.deepEqual([alone.generationId, alone.members.map((m) => m.memberId)], [3, [a]]);
  await s.sync(a, 3, [{ memberId: a, assignment: 'YWI=' }]);
  // The last member leaves: the group is empty at generation 4, and takes standalone commits.
  assert.deepEqual(s.c.leave('g', [{ memberId: a, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }]), {
    members: [{ memberId: a, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null, error: 'UNKNOWN_MEMBER_ID' }],
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([s.core.state.groups.get('g')!.generation, s.core.state.groups.get('g')!.members], [4, []]);
  assert.equal(s.commit('', -1), 'NONE');
  assert.equal(s.commit(a, 3), 'UNKNOWN_MEMBER_ID');
});

test('joins wait for the rebalance, but no longer than the server cap; nothing is answered before it is durable', async () => {
  const s = setup({ maxWaitMs: 1_000 });
  const a = await s.newMember();
  gen(await s.join(a));
  await s.sync(a, 1, [{ memberId: a, assignment: '' }]);
  const b = await s.newMember();
  const jb = s.join(b);
  s.clock.advance(1_000);
  s.c.tick(s.clock.now());
  assert.deepEqual(await jb, { waiting: true, memberId: b }, 'the cap passed first: send the join again');
  assert.equal(s.budget.count, 0, 'a capped request holds nothing');
  const again = s.join(b);
  const release = s.holdWrites();
  const ja = s.join(a);
  let answered = false;
  void ja.then(() => (answered = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(s.core.state.groups.get('g')!.generation, 2, 'the join is journaled...');
  assert.equal(answered, false, '...but not answered until that is durable');
  release();
  assert.equal(gen(await ja).generationId, 2);
  assert.equal(gen(await again).generationId, 2);
  // A member asking again for a completed join gets the same answer at once.
  assert.equal(gen(await s.join(b)).generationId, 2);
});

test('join refusals: session timeout bounds, protocol mismatch, group size, unknown member, waiting budget', async () => {
  const s = setup({ maxGroupSize: 2, maxWaiting: 1 });
  assert.equal(gen(await s.join('', { sessionTimeoutMs: 1_000 })).error, 'INVALID_SESSION_TIMEOUT');
  assert.equal(gen(await s.join('made-up')).error, 'UNKNOWN_MEMBER_ID');
  const a = await s.newMember();
  gen(await s.join(a));
  assert.equal(gen(await s.join('', { protocolType: 'connect' })).error, 'INCONSISTENT_GROUP_PROTOCOL');
  assert.equal(gen(await s.join('', { protocols: [{ name: 'roundrobin', metadata: '' }] })).error, 'INCONSISTENT_GROUP_PROTOCOL');
  const b = await s.newMember();
  assert.equal(gen(await s.join('')).error, 'GROUP_MAX_SIZE_REACHED');
  const jb = s.join(b);
  await assert.rejects(async () => s.join(a, { protocols: [{ name: 'range', metadata: 'AAI=' }] }), (e) => isAppError(e) && e.code === 'too_many_waiting_requests');
  s.failover();
  await assert.rejects(jb, /gone/);
  assert.equal(s.budget.count, 0);
});

test('a new leader resumes the group from the journal: members carry on with their generation and assignment', async () => {
  const s = setup();
  const a = await s.newMember();
  gen(await s.join(a));
  await s.sync(a, 1, [{ memberId: a, assignment: 'YQ==' }]);
  s.failover();
  assert.equal(s.heartbeat(a, 1), 'NONE');
  assert.equal(s.commit(a, 1), 'NONE');
  assert.equal(((await s.sync(a, 1)) as { assignment: string }).assignment, 'YQ==');
  // Its metadata is not journaled: a rejoin is a rebalance, and the group moves on from generation 1.
  assert.equal(gen(await s.join(a)).generationId, 2);
  // Without heartbeats the restored member times out like any other.
  s.failover();
  s.clock.advance(10_001);
  s.c.tick(s.clock.now());
  assert.equal(s.heartbeat(a, 2), 'UNKNOWN_MEMBER_ID');
});

test('a member that leaves before completing its join does not make the others rebalance', async () => {
  const s = setup();
  const a = await s.newMember();
  gen(await s.join(a));
  await s.sync(a, 1, [{ memberId: a, assignment: '' }]);
  const b = await s.newMember();
  assert.deepEqual(s.c.leave('g', [{ memberId: b, groupInstanceId: null }]), { members: [{ memberId: b, groupInstanceId: null }] });
  assert.equal(s.heartbeat(a, 1), 'NONE');
  assert.equal(gen(await s.join(b)).error, 'UNKNOWN_MEMBER_ID', 'its id is gone');
});
