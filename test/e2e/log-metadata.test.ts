import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, multiRegionCluster, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { ApiError, ReferenceAgent } from '../sim/agent';
import { LocalBucket } from '../sim/bucket';
import { produceFile } from '../sim/producer';

let h: Harness;
let url: string;
let bucketDir: string;
before(async () => {
  h = await startHarness({ env: { HM_ADVERTISED_ADDRESS: 'node-a.internal:8080' } });
  url = await h.listen();
  bucketDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bucket-'));
});
after(async () => {
  await h.close();
  rmSync(bucketDir, { recursive: true, force: true });
});

async function setup(tier: string, name: string, cluster: Record<string, unknown>, access = 'read-write') {
  const { key } = await h.createTenant(tier, `${name} Co`);
  const c = await h.request('POST', '/v1/clusters', { token: key, body: cluster });
  assert.equal(c.status, 202, c.text);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  const ak = await h.request('POST', `/v1/clusters/${c.body.id}/agent-keys`, { token: key, body: { name: 'k', access } });
  return { key, clusterId: c.body.id as string, agentKey: ak.body.secret as string };
}

test('produce through the reference agent, then consume: fetch plans point at the right bytes in the bucket', async () => {
  const { key, clusterId, agentKey } = await setup('pro', 'Produce', singleRegionCluster('logs'));
  const created = await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 'orders', partitions: 4, config: { 'retention.ms': '86400000' } } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.config['retention.ms'], 86_400_000);
  const agent = new ReferenceAgent({ baseUrl: url, agentKey, agentId: 'p-1' });
  const bucket = new LocalBucket(path.join(bucketDir, 'produce'), 'us-east-1', 's3://acme-logs/data');
  const all = [];
  // Recent timestamps: retention (a day on this topic) must not take the batches mid-test.
  const t0 = Date.now() - 60_000;
  for (let f = 0; f < 6; f++) {
    const parts = [0, 1, 2, 3].map((p) => ({ topic: 'orders', partition: p, records: 10 + p }));
    const { out, produced, body } = await produceFile(agent, bucket, parts, { timestamp: t0 + f * 1000 });
    assert.equal(out.duplicate, false);
    all.push(...produced);
    if (f === 2) {
      const retry = await agent.commitFile(body);
      assert.equal(retry.duplicate, true, 'a retried commit is recognised');
      assert.deepEqual(retry.results, out.results, 'and answers the original offsets');
    }
  }
  for (let p = 0; p < 4; p++) {
    const mine = all.filter((b) => b.partition === p);
    mine.forEach((b, i) => {
      assert.equal(b.baseOffset, i * (10 + p), 'offsets are contiguous');
      assert.equal(b.lastOffset, b.baseOffset + 10 + p - 1);
    });
  }
  const plan = await agent.fetchPlan({ partitions: [0, 1, 2, 3].map((p) => ({ topic: 'orders', partition: p, offset: 0, maxBytes: 1 << 20 })), maxBytes: 1 << 22 });
  for (const part of plan.partitions) {
    assert.equal(part.highWatermark, 6 * (10 + part.partition));
    assert.equal(part.batches.length, 6);
    for (const b of part.batches) {
      const bytes = bucket.read(b.objectKey, b.byteOffset, b.byteLength);
      const expected: { head: string } = all.find((x) => x.partition === part.partition && x.baseOffset === b.baseOffset)!;
      assert.equal(bytes.subarray(0, 32).toString('latin1'), expected.head, 'the planned range holds that batch');
      assert.equal(b.replicas[0].region, 'us-east-1');
    }
  }
  const mid = await agent.fetchPlan({ partitions: [{ topic: 'orders', partition: 1, offset: 25, maxBytes: 1 }], maxBytes: 1 });
  assert.equal(mid.partitions[0].batches.length, 1, 'at least one batch even past the byte budget');
  assert.ok(mid.partitions[0].batches[0].baseOffset <= 25 && mid.partitions[0].batches[0].lastOffset >= 25);
  const out = await agent.fetchPlan({ partitions: [{ topic: 'orders', partition: 0, offset: 999, maxBytes: 100 }, { topic: 'nope', partition: 0, offset: 0, maxBytes: 100 }], maxBytes: 1000 });
  assert.deepEqual(out.partitions.map((p: { error?: string }) => p.error), ['OFFSET_OUT_OF_RANGE', 'UNKNOWN_TOPIC_OR_PARTITION']);

  const offsets = await agent.listOffsets({
    partitions: [
      { topic: 'orders', partition: 0, timestamp: -1 },
      { topic: 'orders', partition: 0, timestamp: -2 },
      { topic: 'orders', partition: 0, timestamp: -3 },
      { topic: 'orders', partition: 0, timestamp: t0 + 2500 },
      { topic: 'missing', partition: 0, timestamp: -1 },
    ],
  });
  assert.deepEqual(offsets.partitions.slice(0, 4).map((p: { offset: number }) => p.offset), [60, 0, 50, 30]);
  assert.equal(offsets.partitions[4].error, 'UNKNOWN_TOPIC_OR_PARTITION');

  const described = await h.request('GET', `/v1/clusters/${clusterId}/topics/orders`, { token: key });
  assert.equal(described.body.partitionDetails[3].highWatermark, 78);
  assert.ok(described.body.partitionDetails[0].bytes > 0);
  const topics = await agent.topics();
  assert.deepEqual(topics.items.map((t: { name: string; partitions: number }) => [t.name, t.partitions]), [['orders', 4]]);
});

test('topics: create, list, add partitions, alter config, delete; tier limits and bad names refused', async () => {
  const { key, clusterId } = await setup('dev', 'Topics', singleRegionCluster('topics'));
  const base = `/v1/clusters/${clusterId}/topics`;
  assert.equal((await h.request('POST', base, { token: key, body: { name: 'a.b_c-1', partitions: 2 } })).status, 201);
  const dup = await h.request('POST', base, { token: key, body: { name: 'a.b_c-1', partitions: 2 } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, 'topic_exists');
  const grown = await h.request('PATCH', `${base}/a.b_c-1`, { token: key, body: { partitions: 5, config: { 'retention.bytes': 1000000 } } });
  assert.equal(grown.status, 200, grown.text);
  assert.equal(grown.body.partitions, 5);
  assert.equal(grown.body.config['retention.bytes'], 1_000_000);
  const shrink = await h.request('PATCH', `${base}/a.b_c-1`, { token: key, body: { partitions: 3 } });
  assert.equal(shrink.status, 422);
  const table: [unknown, number, string][] = [
    [{ name: '..', partitions: 1 }, 400, 'invalid_topic_name'],
    [{ name: 'bad name', partitions: 1 }, 400, 'invalid_body'],
    [{ name: 'x'.repeat(250), partitions: 1 }, 400, 'invalid_body'],
    [{ name: 'big', partitions: 5000 }, 422, 'partition_limit_exceeded'],
    [{ name: 'zero', partitions: 0 }, 400, 'invalid_body'],
    [{ name: 'frac', partitions: 1.5 }, 400, 'invalid_body'],
    [{ name: 'ret', partitions: 1, config: { 'retention.ms': 30 * 86400000 } }, 422, 'retention_exceeds_tier'],
    [{ name: 'pol', partitions: 1, config: { 'cleanup.policy': 'compact' } }, 400, 'unsupported_cleanup_policy'],
    [{ name: 'cfg', partitions: 1, config: { 'segment.ms': 1 } }, 400, 'unknown_field'],
  ];
  for (const [body, status, code] of table) {
    const res = await h.request('POST', base, { token: key, body });
    assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 60)}: ${res.text}`);
    assert.equal(res.body.code, code, JSON.stringify(body).slice(0, 60));
  }
  const list = await h.request('GET', base, { token: key });
  assert.deepEqual(list.body.items.map((t: { name: string }) => t.name), ['a.b_c-1']);
  assert.equal((await h.request('DELETE', `${base}/a.b_c-1`, { token: key })).status, 200);
  assert.equal((await h.request('GET', `${base}/a.b_c-1`, { token: key })).status, 404);
  const ro = await h.createTenant('pro', 'Other');
  assert.equal((await h.request('GET', base, { token: ro.key })).status, 404, 'another tenant cannot see the cluster\'s topics');
});

test('agent writes: read-only keys refused, auto-created topics, quorum on multi-region clusters, bad commits change nothing', async () => {
  const ro = await setup('pro', 'ReadOnly', singleRegionCluster('ro', { config: { autoCreateTopics: true, defaultPartitions: 3 } }), 'read-only');
  const roAgent = new ReferenceAgent({ baseUrl: url, agentKey: ro.agentKey, agentId: 'ro' });
  const bucket = new LocalBucket(path.join(bucketDir, 'ro'), 'us-east-1', 's3://acme-ro/data');
  await assert.rejects(produceFile(roAgent, bucket, [{ topic: 't', partition: 0, records: 1 }]), (e: unknown) => e instanceof ApiError && e.status === 403 && e.code === 'read_only_agent');
  assert.deepEqual((await roAgent.topics()).items, [], 'read-only agents read metadata; their refused write created nothing');

  const rwKey = (await h.request('POST', `/v1/clusters/${ro.clusterId}/agent-keys`, { token: ro.key, body: { name: 'rw', access: 'read-write' } })).body.secret;
  const rw = new ReferenceAgent({ baseUrl: url, agentKey: rwKey, agentId: 'rw' });
  const first = await produceFile(rw, bucket, [{ topic: 'auto', partition: 2, records: 5 }]);
  assert.equal(first.out.results[0].baseOffset, 0);
  const topics = await rw.topics();
  assert.deepEqual(topics.items.map((t: { name: string; partitions: number }) => [t.name, t.partitions]), [['auto', 3]], 'created with the cluster defaults');

  const mr = await setup('enterprise', 'Multi', multiRegionCluster('mr', { config: { autoCreateTopics: true } }));
  const mrAgent = new ReferenceAgent({ baseUrl: url, agentKey: mr.agentKey, agentId: 'mr' });
  const one = new LocalBucket(path.join(bucketDir, 'mr1'), 'us-east-1', 's3://acme-mr-use1/data');
  const commit = (await produceFile(mrAgent, one, [{ topic: 'x', partition: 0, records: 1 }]).catch((e) => e)) as ApiError;
  assert.equal(commit.status, 422);
  assert.equal(commit.code, 'insufficient_replicas');
  const written = one.writeFile('segments/q', [Buffer.alloc(100, 1)]);
  const quorum = await mrAgent.commitFile({
    fileId: 'q',
    objectKey: 'segments/q',
    sizeBytes: written.sizeBytes,
    replicas: [
      { region: 'us-east-1', bucket: 's3://acme-mr-use1/data', checksum: written.checksum },
      { region: 'us-west-2', bucket: 's3://acme-mr-usw2/data', checksum: written.checksum },
    ],
    batches: [{ topic: 'x', partition: 0, byteOffset: 0, byteLength: 100, recordCount: 3, maxTimestamp: 1 }],
  });
  assert.equal(quorum.results[0].lastOffset, 2);

  // Bad commits: each a 4xx with its code; the log is unchanged afterwards.
  const before = await rw.fetchPlan({ partitions: [{ topic: 'auto', partition: 2, offset: 0, maxBytes: 1 << 20 }], maxBytes: 1 << 20 });
  const good = { fileId: 'bad-1', objectKey: 'segments/bad-1', sizeBytes: 1000, replicas: [{ region: 'us-east-1', bucket: 's3://acme-ro/data', checksum: 'c' }] };
  const batch = (o: Record<string, unknown> = {}) => ({ topic: 'auto', partition: 0, byteOffset: 0, byteLength: 100, recordCount: 1, maxTimestamp: 1, ...o });
  const cases: [string, unknown, number, string][] = [
    ['negative offset', { ...good, batches: [batch({ byteOffset: -1 })] }, 400, 'invalid_body'],
    ['huge partition', { ...good, batches: [batch({ partition: 2 ** 31 })] }, 400, 'invalid_body'],
    ['non-integer', { ...good, batches: [batch({ recordCount: 1.5 })] }, 400, 'invalid_body'],
    ['string number', { ...good, batches: [batch({ byteLength: '100' })] }, 400, 'invalid_body'],
    ['duplicate batches', { ...good, batches: [batch(), batch()] }, 400, 'duplicate_batch'],
    ['overlapping ranges', { ...good, batches: [batch(), batch({ partition: 1, byteOffset: 50 })] }, 400, 'overlapping_batches'],
    ['past end of file', { ...good, batches: [batch({ byteOffset: 950 })] }, 400, 'batch_outside_file'],
    ['10,000 batches', { ...good, sizeBytes: 10_000_000, batches: Array.from({ length: 10_000 }, (_, i) => batch({ byteOffset: i * 100, partition: i % 3 })) }, 400, 'invalid_body'],
    ['foreign region', { ...good, replicas: [{ region: 'eu-west-1', bucket: 'b', checksum: 'c' }], batches: [batch()] }, 422, 'unknown_replica_region'],
    ['unknown bucket', { ...good, replicas: [{ region: 'us-east-1', bucket: 's3://acme-other/data', checksum: 'c' }], batches: [batch()] }, 422, 'unknown_replica_bucket'],
    ['no batches', { ...good, batches: [] }, 400, 'invalid_body'],
    ['unknown field', { ...good, batches: [batch()], records: ['secret data'] }, 400, 'unknown_field'],
  ];
  for (const [name, body, status, code] of cases) {
    const res = await h.request('POST', `/agent/v1/clusters/${ro.clusterId}/files`, { token: (await rw.tokens.get()).accessToken, body });
    assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
    assert.equal(res.body.code, code, name);
  }
  const reused = await rw.commitFile({ ...first.body, sizeBytes: first.body.sizeBytes + 1 }).catch((e) => e);
  assert.equal(reused.code, 'file_id_conflict');
  const plans: [unknown, string][] = [
    [{ partitions: [{ topic: 'auto', partition: 0, offset: -5, maxBytes: 10 }], maxBytes: 10 }, 'invalid_body'],
    [{ partitions: [{ topic: 'auto', partition: 0, offset: 0, maxBytes: -1 }], maxBytes: 10 }, 'invalid_body'],
    [{ partitions: [{ topic: 'auto', partition: 0, offset: 0, maxBytes: 10 }, { topic: 'auto', partition: 0, offset: 1, maxBytes: 10 }], maxBytes: 10 }, 'duplicate_partition'],
    [{ partitions: [] , maxBytes: 10 }, 'invalid_body'],
  ];
  for (const [body, code] of plans) {
    const res = await h.request('POST', `/agent/v1/clusters/${ro.clusterId}/fetch-plan`, { token: (await rw.tokens.get()).accessToken, body });
    assert.equal(res.body.code, code, JSON.stringify(body).slice(0, 80));
  }
  const lo = await h.request('POST', `/agent/v1/clusters/${ro.clusterId}/list-offsets`, { token: (await rw.tokens.get()).accessToken, body: { partitions: [{ topic: 'auto', partition: 0, timestamp: -4 }] } });
  assert.equal(lo.body.code, 'invalid_body');
  const afterPlan = await rw.fetchPlan({ partitions: [{ topic: 'auto', partition: 2, offset: 0, maxBytes: 1 << 20 }], maxBytes: 1 << 20 });
  assert.deepEqual(afterPlan, before, 'no bad request changed the log');
});

test('a second node on the same store answers not_leader naming the leader', async () => {
  const { key, clusterId, agentKey } = await setup('pro', 'Leader', singleRegionCluster('lead'));
  assert.equal((await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 't', partitions: 1 } })).status, 201);
  const b = await startHarness({ shareWith: h, workers: false, env: { HM_ADVERTISED_ADDRESS: 'node-b.internal:8080' } });
  try {
    const res = await b.request('GET', `/v1/clusters/${clusterId}/topics`, { token: key });
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'not_leader');
    assert.equal(res.body.leader, 'node-a.internal:8080');
    assert.equal(res.headers['retry-after'], '1');
    const agentOnB = new ReferenceAgent({ baseUrl: await b.listen(), agentKey, agentId: 'b' });
    await assert.rejects(agentOnB.topics(), (e: unknown) => e instanceof ApiError && e.status === 503 && e.code === 'not_leader');
  } finally {
    await b.close();
  }
});
