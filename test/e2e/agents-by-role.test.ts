import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterBucket, eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { ReferenceAgent } from '../sim/agent';
import { startFleet } from '../sim/fleet';
import { startStsStandIn, type StsStandIn } from '../sim/sts';
import { LocalBucket } from '../sim/bucket';
import { produceFile } from '../sim/producer';
import type { AgentRoleIdentity } from '../sim/agent-identity';

// The whole fleet flow with no static secret on the customer's side: agents prove who they
// are with their AWS role (through the STS stand-in), register, heartbeat, discover, produce
// and consume, and renew their tokens by signing again.

const ROLE = 'arn:aws:iam::123456789012:role/warp-agents-prod';
const INTERVAL = 200;
let sts: StsStandIn;
let h: Harness;
let url: string;
let bucketDir: string;

before(async () => {
  sts = await startStsStandIn();
  sts.createRole(ROLE);
  h = await startHarness({ env: { HM_STS_ENDPOINT: sts.url, HM_HEARTBEAT_INTERVAL_MS: String(INTERVAL) } });
  url = await h.listen();
  bucketDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bucket-'));
});
after(async () => {
  await h.close();
  await sts.close();
  rmSync(bucketDir, { recursive: true, force: true });
});

test('a fleet running with an AWS role instead of an agent key: register, heartbeat, discover, produce, consume, renew', async () => {
  const { key } = await h.createTenant('pro', 'Role Fleet Co');
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('rolefleet') });
  const clusterId = c.body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready');
  const rule = await h.request('POST', `/v1/clusters/${clusterId}/agent-identities`, {
    token: key,
    body: { provider: 'aws', accountId: '123456789012', roleArnPattern: 'arn:aws:iam::123456789012:role/warp-agents-*', access: 'read-write' },
  });
  assert.equal(rule.status, 201, rule.text);
  assert.equal((await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 'orders', partitions: 3 } })).status, 201);

  // What an instance profile hands the agent: role session credentials, renewed by the SDK.
  const identity = (session: string): AgentRoleIdentity => ({
    clusterId,
    credentials: async () => sts.roleCredentials(ROLE, session, 3600),
    stsEndpoint: sts.url,
    region: 'us-east-1',
    audience: h.config.identity.audience,
  });
  const exchangesBefore = sts.count('GetCallerIdentity');
  const fleet = await startFleet({ baseUrl: url, identity: identity('i-fleet'), count: 30, idPrefix: 'role' });
  try {
    assert.equal(sts.count('GetCallerIdentity'), exchangesBefore + 1, 'the fleet shares one token, as agents behind one sidecar would');
    await eventually(async () => fleet.agents.every((a) => a.heartbeatLatenciesMs.length >= 2), 15_000, 100);
    assert.equal(fleet.errors(), 0);
    const agents = await h.request('GET', `/v1/clusters/${clusterId}/agents?limit=100`, { token: key });
    assert.equal(agents.body.items.filter((a: { state: string }) => a.state === 'live').length, 30);
    const seen = await fleet.agents[0].discovery('us-east-1a');
    assert.equal(seen.agents.length, 30);

    const producer = new ReferenceAgent({ baseUrl: url, identity: identity('i-producer'), agentId: 'role-producer' });
    await producer.register();
    const bucket = new LocalBucket(path.join(bucketDir, 'role'), 'us-east-1', clusterBucket('rolefleet'));
    const { produced } = await produceFile(producer, bucket, [0, 1, 2].map((p) => ({ topic: 'orders', partition: p, records: 5 })));
    const plan = await fleet.agents[1].fetchPlan({ partitions: produced.map((b) => ({ topic: 'orders', partition: b.partition, offset: 0, maxBytes: 1 << 20 })), maxBytes: 1 << 22 });
    for (const p of plan.partitions) {
      assert.equal(p.highWatermark, 5);
      const b = p.batches[0];
      assert.equal(bucket.read(b.objectKey, b.byteOffset, b.byteLength).subarray(0, 32).toString('latin1'), produced.find((x) => x.partition === p.partition)!.head);
    }

    // Renewal signs a fresh request (a signature is good once) and keeps the fleet going.
    const first = await fleet.agents[0].tokens.get();
    const renewed = await fleet.agents[0].tokens.get(true);
    assert.notEqual(renewed.accessToken, first.accessToken);
    assert.equal(sts.count('GetCallerIdentity'), exchangesBefore + 3);
    const beats = fleet.agents[0].heartbeatLatenciesMs.length;
    await eventually(async () => fleet.agents[0].heartbeatLatenciesMs.length > beats + 1, 30_000, 50);
    assert.equal(fleet.errors(), 0);

    const audit = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
    const registered = audit.body.items.filter((e: { action: string }) => e.action === 'agent.registered');
    assert.ok(registered.length >= 31);
    assert.ok(registered.every((e: { principal: { type: string; id: string } }) => e.principal.type === 'agent' && e.principal.id === ROLE), 'agents act as their role');
  } finally {
    await fleet.stop();
  }
});
