import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterBucket, eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { startStsStandIn, type StsStandIn } from '../sim/sts';
import { startDynamoIamProxy } from '../sim/dynamo-iam-proxy';
import { ReferenceAgent } from '../sim/agent';
import { tenantSessionPolicy } from '../../shared/tenant-policy';
import { randomBase62 } from '../../shared/crypto';

// Production data access (HM_TVM_ROLE_ARN set): tenant work reaches the store with that
// tenant's AssumeRole credentials, and an IAM stand-in in front of the store holds each
// session to its tenant's keys. The whole customer and agent flow of two tenants must pass.

const ROLE = 'arn:aws:iam::999999999999:role/harbormaster-tenant-data';
// Tables of this file's own: on a shared engine (the DynamoDB Local run) the default `hm-` may
// hold another server's signing keys, sealed under a pepper this one does not have.
const PREFIX = `hmtc${randomBase62(8)}-`;
const TABLES = [`${PREFIX}control`, `${PREFIX}metadata`];
let sts: StsStandIn;
let proxy: Awaited<ReturnType<typeof startDynamoIamProxy>>;
let h: Harness;
let url: string;

before(async () => {
  sts = await startStsStandIn();
  sts.createRole(ROLE, { trusted: ['arn:aws:iam::999999999999:user/control-plane'] });
  h = await startHarness({
    env: { HM_TVM_ROLE_ARN: ROLE, HM_STS_ENDPOINT: sts.url, HM_TABLE_PREFIX: PREFIX },
    stsCredentials: sts.userCredentials('999999999999', 'control-plane'),
    dynamoProxy: async (endpoint) => {
      proxy = await startDynamoIamProxy({ target: endpoint, sts, tables: TABLES });
      return proxy.url;
    },
  });
  url = await h.listen();
});
after(async () => {
  await h.close();
  await proxy.close();
  await sts.close();
});

async function tenantFlow(name: string) {
  const { key, tenant } = await h.createTenant('pro', name);
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name.toLowerCase().replace(/\W/g, '')) });
  assert.equal(c.status, 202, c.text);
  const clusterId = c.body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready');
  assert.equal((await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 'orders', partitions: 2 } })).status, 201);
  const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'k', access: 'read-write' } });
  const agent = new ReferenceAgent({ baseUrl: url, agentKey: ak.body.secret, agentId: 'a-1' });
  await agent.register();
  await agent.heartbeat({ openConnections: 1 });
  const out = await agent.commitFile({
    fileId: 'f-1',
    objectKey: 'segments/f-1',
    sizeBytes: 100,
    replicas: [{ region: 'us-east-1', bucket: clusterBucket(name.toLowerCase().replace(/\W/g, '')), checksum: 'c' }],
    batches: [{ topic: 'orders', partition: 0, byteOffset: 0, byteLength: 100, recordCount: 3, maxTimestamp: Date.now() }],
  });
  assert.equal(out.results[0].baseOffset, 0);
  assert.equal((await h.request('GET', '/v1/audit-events', { token: key })).status, 200);
  const extra = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'spare', access: 'read-only' } });
  assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}/agent-keys/${extra.body.id}`, { token: key })).status, 200);
  return { tenantId: tenant.id as string, clusterId };
}

test('two tenants\' whole flows run on their own AssumeRole sessions, each held to its own keys', async () => {
  const assumedBefore = sts.count('AssumeRole');
  const a = await tenantFlow('Alpha Co');
  const b = await tenantFlow('Beta Co');
  assert.equal(sts.count('AssumeRole') - assumedBefore, 2, 'one AssumeRole per tenant: credentials are cached');
  const byTenant = (t: string) => proxy.requests.filter((r) => r.tenant === t);
  for (const { tenantId, clusterId } of [a, b]) {
    const mine = byTenant(tenantId);
    assert.ok(mine.length > 10, `tenant ${tenantId} used its own session (${mine.length} requests)`);
    const did = (action: string, pk: string) => mine.some((r) => r.action === action && r.leadingKeys?.includes(pk));
    // Audit events are group-committed (services/audit/store.ts): BatchWriteItem, still on the tenant's session.
    assert.ok(did('BatchWriteItem', `T#${tenantId}#AUDIT`), 'customer audit events');
    assert.ok(did('PutItem', `T#${tenantId}#C#${clusterId}`), 'journal appends of agent commits');
    assert.ok(did('PutItem', `T#${tenantId}`), 'agent keys, agent records');
    const session = mine[0].principal;
    assert.equal(session, `arn:aws:sts::999999999999:assumed-role/harbormaster-tenant-data/hm-${tenantId}`);
  }
  assert.deepEqual(proxy.requests.filter((r) => !r.allowed), [], 'the IAM stand-in refused nothing');
  // Sessions carried exactly the generated policy.
  const policies = sts.calls.filter((c) => c.action === 'AssumeRole' && c.status === 200).map((c) => JSON.parse(c.policy!));
  assert.deepEqual(policies.slice(-2), [tenantSessionPolicy(a.tenantId, TABLES), tenantSessionPolicy(b.tenantId, TABLES)]);
  // The base identity did the vendor-level and cross-tenant work: the revocation log, the
  // signing keys, index lookups (API keys, clusters), admin and worker paths.
  const baseWork = proxy.requests.filter((r) => r.principal === 'base');
  assert.ok(baseWork.some((r) => r.action === 'PutItem' && r.leadingKeys?.[0] === 'REVOCATIONS'), 'revocations written from a customer request use the base identity');
  assert.ok(baseWork.some((r) => r.action === 'Query' && r.index === 'gsi1'));
});

test('a tenant session asking for another tenant\'s key is refused by IAM too', async () => {
  // Straight to the store with tenant A's vended credentials, bypassing the in-process fence:
  // the IAM layer (here its stand-in) refuses on its own.
  const { DynamoDBClient, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const a = await h.createTenant('pro', 'Gamma Co');
  const b = await h.createTenant('pro', 'Delta Co');
  const creds = await h.runtime.tvm!.credentials(a.tenant.id);
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: proxy.url, credentials: creds, maxAttempts: 1 });
  try {
    const own = await raw.send(new GetItemCommand({ TableName: TABLES[0], Key: { pk: { S: `T#${a.tenant.id}` }, sk: { S: 'TENANT' } } }));
    assert.equal(own.Item?.name?.S, 'Gamma Co');
    await assert.rejects(
      raw.send(new GetItemCommand({ TableName: TABLES[0], Key: { pk: { S: `T#${b.tenant.id}` }, sk: { S: 'TENANT' } } })),
      (e: unknown) => (e as Error).name === 'AccessDeniedException',
    );
  } finally {
    raw.destroy();
  }
});
