import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, multiRegionCluster, startHarness, type Harness } from '../helpers/harness';

/**
 * Regions through HTTP: two nodes on one store, in us-east-1 and us-west-2. The region view and
 * its drain switches (admin), the control-plane map (agents), replica reports and the cluster's
 * replication view (customers).
 */
let east: Harness;
let west: Harness;
const env = (region: string) => ({
  HM_REGION: region,
  HM_REGION_ENDPOINT: `https://${region}.cp.test`,
  HM_ADVERTISED_ADDRESS: `http://${region}.node.test`,
  HM_REGION_BEAT_MS: '500',
  // The cluster view's counts come from the leader's maintenance passes.
  HM_MAINTENANCE_EVERY_MS: '200',
});
before(async () => {
  east = await startHarness({ env: env('us-east-1') });
  west = await startHarness({ shareWith: east, workers: false, env: env('us-west-2') });
});
after(async () => {
  await west.close();
  await east.close();
});

async function enterpriseCluster(name: string) {
  const { key } = await east.createTenant('enterprise', `${name} Co`);
  const c = await east.request('POST', '/v1/clusters', { token: key, body: multiRegionCluster(name, { config: { autoCreateTopics: true } }) });
  assert.equal(c.status, 202, c.text);
  await eventually(async () => (await east.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  const agentKey = async (access = 'read-write') =>
    (await east.request('POST', `/v1/clusters/${c.body.id}/agent-keys`, { token: key, body: { name: access, access } })).body.secret as string;
  const token = async (secret: string) => (await east.request('POST', '/agent/v1/token', { token: secret })).body.accessToken as string;
  return { key, clusterId: c.body.id as string, agentToken: await token(await agentKey()), readOnlyToken: await token(await agentKey('read-only')) };
}

const regionOf = (view: { items: { region: string }[] }, region: string) => view.items.find((r) => r.region === region) as any;

test('admin: regions with their live nodes; drain and undrain are audited; refusals change nothing', async () => {
  const admin = await east.adminToken();
  const viewer = await east.adminToken(['viewer']);
  // Healthy once the node's recent store round trips are within budget (start-up is slow on a busy machine).
  const view = await eventually(async () => {
    const res = await east.request('GET', '/admin/v1/regions', { token: viewer });
    return res.body.items.length === 2 && res.body.items.every((r: { healthy: boolean }) => r.healthy) ? res.body : undefined;
  }, 30_000);
  assert.deepEqual(view.items.map((r: { region: string; liveNodes: number; healthy: boolean; drained: boolean }) => [r.region, r.liveNodes, r.healthy, r.drained]), [
    ['us-east-1', 1, true, false],
    ['us-west-2', 1, true, false],
  ]);
  assert.equal(regionOf(view, 'us-east-1').nodes[0].endpoint, 'https://us-east-1.cp.test');
  assert.equal(regionOf(view, 'us-east-1').nodes[0].address, 'http://us-east-1.node.test');

  const refused: [string, string, number, string][] = [
    ['viewer may not drain', viewer, 403, 'insufficient_role'],
    ['unknown region', admin, 404, 'region_not_found'],
    ['not a region name', admin, 400, 'invalid_path'],
  ];
  for (const [name, token, status, code] of refused) {
    const region = name === 'unknown region' ? 'ap-south-1' : name === 'not a region name' ? 'US_EAST' : 'us-west-2';
    const res = await east.request('POST', `/admin/v1/regions/${region}/drain`, { token });
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.body.code, code, name);
  }
  const drained = await eventually(async () => {
    const res = await east.request('POST', '/admin/v1/regions/us-west-2/drain', { token: admin });
    return res.status === 200 ? res : undefined;
  }, 20_000);
  assert.equal(drained.status, 200, drained.text);
  assert.equal(drained.body.drained, true);
  assert.equal(drained.body.healthy, false, 'a drained region does not take leadership');
  assert.equal((await east.request('POST', '/admin/v1/regions/us-west-2/drain', { token: admin })).body.drained, true, 'drain is idempotent');
  const last = await east.request('POST', '/admin/v1/regions/us-east-1/drain', { token: admin });
  assert.equal(last.status, 409, 'the last region that can lead is not drained');
  assert.equal(last.body.code, 'no_region_to_move_to');
  assert.equal(regionOf((await west.request('GET', '/admin/v1/regions', { token: admin })).body, 'us-east-1').drained, false, 'the refusal changed nothing');
  const back = await west.request('POST', '/admin/v1/regions/us-west-2/undrain', { token: admin });
  assert.equal(back.status, 200);
  assert.equal(back.body.drained, false);

  const audit = (await east.request('GET', '/admin/v1/audit-events?limit=100', { token: viewer })).body.items as { action: string; result: string; target: { id: string } }[];
  const regionEvents = audit.filter((e) => e.action.startsWith('region.')).map((e) => `${e.action} ${e.target.id} ${e.result}`);
  for (const expected of ['region.drain us-west-2 success', 'region.drain us-east-1 failure', 'region.drain ap-south-1 failure', 'region.undrain us-west-2 success']) {
    assert.ok(regionEvents.includes(expected), `audited: ${expected} (have ${regionEvents.join(', ')})`);
  }
});

test('agents: the control-plane map names every region\'s endpoints and bucket, the preferred and the leading region', async () => {
  const { clusterId, agentToken } = await enterpriseCluster('cpmap');
  const path = `/agent/v1/clusters/${clusterId}/control-plane`;
  const before = await west.request('GET', path, { token: agentToken });
  assert.equal(before.status, 200, before.text);
  assert.equal(before.body.preferredRegion, 'us-east-1');
  assert.equal(before.body.leaderRegion, null, 'nobody leads an unused cluster');
  assert.equal(before.body.writeQuorum, 2);
  assert.deepEqual(before.body.regions.map((r: { region: string; endpoints: string[]; bucket: string }) => [r.region, r.endpoints, r.bucket]), [
    ['us-east-1', ['https://us-east-1.cp.test'], 's3://acme-cpmap-use1/data'],
    ['us-west-2', ['https://us-west-2.cp.test'], 's3://acme-cpmap-usw2/data'],
    ['eu-west-1', [], 's3://acme-cpmap-euw1/data'],
  ]);
  // The east node takes the lease on first use; both nodes then name it.
  assert.equal((await east.request('GET', `/agent/v1/clusters/${clusterId}/topics`, { token: agentToken })).status, 200);
  for (const node of [east, west]) {
    const now = (await node.request('GET', path, { token: agentToken })).body;
    assert.equal(now.leaderRegion, 'us-east-1');
    assert.equal(now.leader, 'http://us-east-1.node.test');
  }
  const admin = await east.adminToken();
  // Refused (409) while the west node's last beat looks too old on a busy machine: try again.
  await eventually(async () => (await east.request('POST', '/admin/v1/regions/us-east-1/drain', { token: admin })).status === 200, 20_000);
  try {
    // Each node reads the region switches on its beat.
    await eventually(async () => (await west.request('GET', path, { token: agentToken })).body.preferredRegion === 'us-west-2');
  } finally {
    assert.equal((await east.request('POST', '/admin/v1/regions/us-east-1/undrain', { token: admin })).status, 200);
  }
  const other = await enterpriseCluster('cpother');
  assert.equal((await east.request('GET', path, { token: other.agentToken })).status, 404, 'another cluster\'s token sees nothing');
});

test('replica reports: recorded once, shown in the cluster view, bad reports refused', async () => {
  const { key, clusterId, agentToken, readOnlyToken } = await enterpriseCluster('reprep');
  const replicas = ['us-east-1', 'us-west-2', 'eu-west-1'].map((region, i) => ({ region, bucket: multiRegionCluster('reprep').storage.buckets[i].url, checksum: 'sha256:ab' }));
  const commit = await east.request('POST', `/agent/v1/clusters/${clusterId}/files`, {
    token: agentToken,
    body: { fileId: 'f-1', objectKey: 'segments/f-1', sizeBytes: 100, replicas, batches: [{ topic: 'orders', partition: 0, byteOffset: 0, byteLength: 100, recordCount: 1, maxTimestamp: Date.now() }] },
  });
  assert.equal(commit.status, 200, commit.text);
  const replicationOf = async (node: Harness) => (await node.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.replication;
  await eventually(async () => (await replicationOf(east))?.filesMissingReplicas === 0);

  const report = (body: unknown, token = agentToken, fileId = 'f-1') => east.request('POST', `/agent/v1/clusters/${clusterId}/files/${fileId}/replica-missing`, { token, body });
  const bad: [string, unknown, string, number, string][] = [
    ['unknown file', { region: 'us-east-1', bucket: replicas[0].bucket }, 'f-404', 404, 'file_not_found'],
    ['region the cluster lacks', { region: 'ap-south-1', bucket: replicas[0].bucket }, 'f-1', 422, 'unknown_replica_region'],
    ['bucket the replica is not in', { region: 'us-east-1', bucket: 's3://elsewhere/data' }, 'f-1', 422, 'unknown_replica_bucket'],
    ['unknown reason', { region: 'us-east-1', bucket: replicas[0].bucket, reason: 'gone' }, 'f-1', 400, 'invalid_body'],
    ['bad file id', { region: 'us-east-1', bucket: replicas[0].bucket }, 'a%20b', 400, 'invalid_path'],
  ];
  for (const [name, body, fileId, status, code] of bad) {
    const res = await report(body, agentToken, fileId);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.body.code, code, name);
  }
  const first = await report({ region: 'us-east-1', bucket: replicas[0].bucket, reason: 'not_found' }, readOnlyToken);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body, { fileId: 'f-1', missingRegions: ['us-east-1'], remainingReplicas: 2 });
  assert.deepEqual((await report({ region: 'us-east-1', bucket: replicas[0].bucket })).body, first.body, 'a repeated report answers the same');
  // Counted by the leader's next maintenance pass; any node shows it (read from the store).
  for (const node of [east, west]) {
    const shown = await eventually(async () => ((await replicationOf(node))?.filesMissingReplicas === 1 ? replicationOf(node) : undefined));
    assert.deepEqual(shown.missingByRegion, { 'us-east-1': 1 });
  }
});

test('agents claiming a region the cluster lacks are refused', async () => {
  const { agentToken, clusterId } = await enterpriseCluster('claims');
  const res = await east.request('POST', `/agent/v1/clusters/${clusterId}/agents`, {
    token: agentToken,
    body: { agentId: 'a-1', version: '1.0.0', region: 'ap-south-1', zone: 'ap-south-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] },
  });
  assert.equal(res.status, 422);
  assert.equal(res.body.code, 'invalid_region');
});
