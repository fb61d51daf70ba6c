import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';
import { SimConsumer } from '../helpers/sim-consumer';

/**
 * The group protocol over HTTP with several simulated consumers: joins, the leader's
 * assignment, heartbeats, a new member and a silent member each causing a rebalance, and the
 * leader of the cluster changing in the middle of it all.
 */
const ENV = { HM_GROUP_MIN_SESSION_TIMEOUT_MS: '100', HM_GROUP_INITIAL_REBALANCE_DELAY_MS: '0', HM_GROUP_MAX_WAIT_MS: '1000' };
let h: Harness;
before(async () => {
  h = await startHarness({ workers: true, env: ENV });
});
after(() => h.close());

const sender = (node: Harness, token: string) => (method: string, url: string, body?: unknown) => node.request(method, url, { token, body });

/**
 * Runs each consumer's poll loop on its own (as real consumers run) until they agree on one
 * generation and own every partition exactly once between them.
 */
async function stable(consumers: SimConsumer[], partitions: number) {
  let running = true;
  const loops = consumers.map(async (c) => {
    while (running) {
      await c.poll();
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  try {
    await eventually(
      async () => {
        const generations = new Set(consumers.map((c) => c.generation));
        const owned = consumers.flatMap((c) => c.partitions).sort((a, b) => a - b);
        return generations.size === 1 && owned.join() === Array.from({ length: partitions }, (_, p) => p).join();
      },
      30_000,
      20,
    );
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return consumers[0].generation;
}

test('consumers share the partitions; a new member and a silent member each cause a rebalance; the last to leave empties the group', async () => {
  const { key, clusterId, token } = await readyCluster(h, 'groups', { topics: [{ name: 'orders', partitions: 6 }] });
  const base = `/agent/v1/clusters/${clusterId}/consumer-groups/billing`;
  const send = sender(h, token);
  const make = (name: string, session?: number) => new SimConsumer(send, base, name, 'orders', 6, session);
  const group = [make('c1'), make('c2'), make('c3')];
  const g1 = await stable(group, 6);
  assert.equal(group.filter((c) => c.isLeader).length, 1, 'one leader');
  assert.deepEqual(group.map((c) => c.partitions.length), [2, 2, 2]);

  const view = await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups/billing`, { token: key });
  assert.equal(view.status, 200, view.text);
  assert.deepEqual([view.body.state, view.body.members, view.body.generation, view.body.protocol], ['Stable', 3, g1, 'roundrobin']);
  assert.deepEqual(view.body.memberDetails.flatMap((m: { assignment: { partitions: number[] }[] }) => m.assignment[0].partitions).sort(), [0, 1, 2, 3, 4, 5]);

  // A fourth member joins: everyone rejoins into a new generation.
  const late = make('c4', 600);
  group.push(late);
  const g2 = await stable(group, 6);
  assert.ok(g2 > g1);
  assert.deepEqual(group.map((c) => c.partitions.length).sort(), [1, 1, 2, 2]);
  assert.equal(await group[0].commit(0, 10), 'NONE');

  // It goes silent; the others keep polling and move on without it once its session passes.
  group.pop();
  const g3 = await stable(group, 6);
  assert.ok(g3 > g2);
  assert.equal(await late.heartbeat(), 'UNKNOWN_MEMBER_ID');
  assert.equal(await group[0].commit(0, 11), 'NONE');
  const stale = await send('PUT', `${base}/offsets`, { memberId: group[0].memberId, generationId: g2, offsets: [{ topic: 'orders', partition: 0, offset: 12 }] });
  assert.deepEqual(stale.body.partitions, [{ topic: 'orders', partition: 0, error: 'ILLEGAL_GENERATION' }]);

  // A group with members cannot be deleted; once all have left it can.
  assert.equal((await send('DELETE', base)).status, 409);
  for (const c of group) await c.leave();
  const empty = await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups/billing`, { token: key });
  assert.deepEqual([empty.body.state, empty.body.members], ['Empty', 0]);
  assert.deepEqual(empty.body.offsets.map((o: { partition: number; committedOffset: number }) => [o.partition, o.committedOffset]), [[0, 11]]);
  assert.equal((await send('DELETE', base)).status, 204);
  assert.equal((await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups/billing`, { token: key })).status, 404);
  assert.equal((await send('DELETE', base)).status, 404);
});

test('joins are long polls capped by the server: a member waiting on busy ones is told to ask again (202)', async () => {
  const { clusterId, token } = await readyCluster(h, 'polls', { topics: [{ name: 'orders', partitions: 2 }] });
  const base = `/agent/v1/clusters/${clusterId}/consumer-groups/slow`;
  const send = sender(h, token);
  const fast = new SimConsumer(send, base, 'fast', 'orders', 2);
  const slow = new SimConsumer(send, base, 'slow', 'orders', 2);
  await stable([fast, slow], 2);
  // A third member joins while the others are busy (not polling): its join waits past the cap.
  const third = new SimConsumer(send, base, 'third', 'orders', 2);
  const first = await send('POST', `${base}/join`, { memberId: '', clientId: 'third', sessionTimeoutMs: 5_000, protocolType: 'consumer', protocols: [{ name: 'roundrobin', metadata: '' }] });
  third.memberId = first.body.memberId;
  const waiting = send('POST', `${base}/join`, { memberId: third.memberId, clientId: 'third', sessionTimeoutMs: 5_000, protocolType: 'consumer', protocols: [{ name: 'roundrobin', metadata: 'b3JkZXJz' }] });
  assert.equal((await waiting).status, 202);
  assert.deepEqual((await waiting).body, { waiting: true, memberId: third.memberId });
  await stable([fast, slow, third], 2);
});

test('the cluster leader changes mid-group: members carry on at the new leader with their generation; offsets stay', async () => {
  // A second control-plane node on the same store leads the cluster first (it creates the topic).
  const other = await startHarness({ workers: false, env: ENV, shareWith: { config: h.config, engines: h.engines } });
  let closed = false;
  try {
    const { clusterId, token } = await readyCluster(other, 'moves', { topics: [{ name: 'orders', partitions: 4 }] });
    const base = `/agent/v1/clusters/${clusterId}/consumer-groups/movers`;
    const onOther = sender(other, token);
    const a = new SimConsumer(onOther, base, 'a', 'orders', 4);
    const b = new SimConsumer(onOther, base, 'b', 'orders', 4);
    const generation = await stable([a, b], 4);
    assert.equal(await a.commit(a.partitions[0], 7), 'NONE');
    const here = await h.request('POST', `${base}/heartbeat`, { token, body: { memberId: a.memberId, generationId: generation } });
    assert.deepEqual([here.status, here.body.code], [503, 'not_leader'], 'this node does not lead while the other does');
    await other.close(); // graceful: it hands its lease back
    closed = true;
    for (const c of [a, b]) c.via(sender(h, token));
    await eventually(async () => (await a.heartbeat()) === 'NONE', 10_000);
    assert.equal(await b.heartbeat(), 'NONE', 'the generation survived the leader change');
    assert.equal(await b.commit(b.partitions[0], 9), 'NONE');
    const offsets = await h.request('GET', `${base}/offsets`, { token });
    assert.deepEqual(offsets.body.partitions.map((o: { partition: number; offset: number }) => [o.partition, o.offset]).sort(), [[a.partitions[0], 7], [b.partitions[0], 9]].sort());
    // A newcomer at the new leader: a normal rebalance from the resumed generation.
    const c = new SimConsumer(sender(h, token), base, 'c', 'orders', 4);
    assert.ok((await stable([a, b, c], 4)) > generation);
  } finally {
    if (!closed) await other.close();
  }
});
