import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';

/** PUT/GET …/consumer-groups/{group}/offsets and DELETE …/consumer-groups/{group}. */
let h: Harness;
before(async () => {
  h = await startHarness({ workers: true, env: { HM_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' } });
});
after(() => h.close());

test('standalone offset commits, fetches of all or some topics, per-partition errors; deleting a topic or the group drops them', async () => {
  const { key, clusterId, token, readOnlyToken } = await readyCluster(h, 'offsets', { topics: [{ name: 'orders', partitions: 3 }, { name: 'audit', partitions: 1 }] });
  const group = encodeURIComponent('reports/daily');
  const url = `/agent/v1/clusters/${clusterId}/consumer-groups/${group}`;
  const put = (body: object, tok = token) => h.request('PUT', `${url}/offsets`, { token: tok, body });
  const r = await put({
    offsets: [
      { topic: 'orders', partition: 2, offset: 40, metadata: 'checkpoint-7', leaderEpoch: 3 },
      { topic: 'orders', partition: 0, offset: 12 },
      { topic: 'audit', partition: 0, offset: 5, metadata: null },
      { topic: 'orders', partition: 9, offset: 1 },
      { topic: 'orders', partition: 1, offset: 1, metadata: 'x'.repeat(5000) },
    ],
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.partitions.map((p: { error?: string }) => p.error ?? 'NONE'), ['NONE', 'NONE', 'NONE', 'UNKNOWN_TOPIC_OR_PARTITION', 'OFFSET_METADATA_TOO_LARGE']);
  const all = await h.request('GET', `${url}/offsets`, { token: await readOnlyToken() });
  assert.equal(all.status, 200, 'a read-only agent may fetch offsets');
  assert.deepEqual(all.body.partitions, [
    { topic: 'audit', partition: 0, offset: 5, leaderEpoch: -1, metadata: '' },
    { topic: 'orders', partition: 0, offset: 12, leaderEpoch: -1, metadata: '' },
    { topic: 'orders', partition: 2, offset: 40, leaderEpoch: 3, metadata: 'checkpoint-7' },
  ]);
  const some = await h.request('GET', `${url}/offsets?topic=orders`, { token });
  assert.deepEqual(some.body.partitions.map((p: { partition: number; offset: number }) => [p.partition, p.offset]), [[0, 12], [1, -1], [2, 40]]);
  // A member the group does not know is refused as a whole (the group has no members).
  const stale = await put({ memberId: 'm-1', generationId: 4, offsets: [{ topic: 'orders', partition: 0, offset: 99 }] });
  assert.deepEqual(stale.body.partitions, [{ topic: 'orders', partition: 0, error: 'UNKNOWN_MEMBER_ID' }]);
  assert.deepEqual([(await put({})).status, (await put({ offsets: [{ topic: 'orders', partition: 0, offset: 1 }] }, await readOnlyToken())).body.code], [400, 'read_only_agent']);

  // Deleting a topic drops its offsets in every group.
  assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}/topics/audit`, { token: key })).status, 200);
  assert.deepEqual((await h.request('GET', `${url}/offsets`, { token })).body.partitions.map((p: { topic: string }) => p.topic), ['orders', 'orders']);
  assert.equal((await h.request('DELETE', url, { token })).status, 204);
  assert.deepEqual((await h.request('GET', `${url}/offsets`, { token })).body.partitions, []);
  const again = await h.request('DELETE', url, { token });
  assert.deepEqual([again.status, again.body.code], [404, 'group_not_found']);
  const bad = await h.request('PUT', `/agent/v1/clusters/${clusterId}/consumer-groups/${encodeURIComponent('bad\u0001id')}/offsets`, { token, body: { offsets: [{ topic: 'orders', partition: 0, offset: 1 }] } });
  assert.equal(bad.status, 400);
});

test('a group with members cannot take standalone commits or be deleted', async () => {
  const { clusterId, token } = await readyCluster(h, 'members', { topics: [{ name: 'orders', partitions: 1 }] });
  const url = `/agent/v1/clusters/${clusterId}/consumer-groups/app`;
  const join = (memberId: string) =>
    h.request('POST', `${url}/join`, { token, body: { memberId, clientId: 'app', sessionTimeoutMs: 30_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: '' }] } });
  const memberId = (await join('')).body.memberId;
  const joined = (await join(memberId)).body;
  const sync = await h.request('POST', `${url}/sync`, { token, body: { memberId, generationId: joined.generationId, assignments: [{ memberId, assignment: '' }] } });
  assert.equal(sync.status, 200, sync.text);
  const standalone = await h.request('PUT', `${url}/offsets`, { token, body: { offsets: [{ topic: 'orders', partition: 0, offset: 1 }] } });
  assert.deepEqual(standalone.body.partitions[0].error, 'UNKNOWN_MEMBER_ID');
  const member = await h.request('PUT', `${url}/offsets`, { token, body: { memberId, generationId: joined.generationId, offsets: [{ topic: 'orders', partition: 0, offset: 1 }] } });
  assert.equal(member.body.partitions[0].error, undefined);
  const del = await h.request('DELETE', url, { token });
  assert.deepEqual([del.status, del.body.code], [409, 'non_empty_group']);
});
