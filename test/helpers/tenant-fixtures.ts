import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, type Harness } from './harness';

/**
 * One tenant with everything the API can hold, made through the public API: two ready
 * clusters, a topic with committed data, consumer-group offsets, API keys (full and narrow),
 * agent keys and tokens (read-write and read-only), registered agents, an agent identity.
 * The fuzz and cross-tenant suites use two of these to aim at real, foreign resources.
 */
export interface TenantFixture {
  name: string;
  tenantId: string;
  /** Every scope. */
  key: string;
  keyId: string;
  /** Only `clusters:read`. */
  narrowKey: string;
  narrowKeyId: string;
  clusterId: string;
  /** A second cluster of the same tenant (another cluster's ids and tokens). */
  otherClusterId: string;
  bucketUrl: string;
  topic: string;
  group: string;
  agentKeyId: string;
  agentKey: string;
  readOnlyAgentKey: string;
  /** Read-write agent token on `clusterId`. */
  agentToken: string;
  readOnlyAgentToken: string;
  /** Read-write agent token on `otherClusterId`. */
  otherClusterAgentToken: string;
  agentId: string;
  readOnlyAgentId: string;
  identityId: string;
  fileId: string;
}

async function ok(res: Promise<{ status: number; text: string; body: any }>, status: number, what: string) {
  const r = await res;
  assert.equal(r.status, status, `${what}: ${r.text.slice(0, 300)}`);
  return r.body;
}

/** A fixture's resource ids by the path parameter names that carry them in the OpenAPI document. */
export const pathIdsOf = (f: TenantFixture): Record<string, string> => ({
  clusterId: f.clusterId,
  keyId: f.narrowKeyId,
  agentKeyId: f.agentKeyId,
  identityId: f.identityId,
  topic: f.topic,
  group: f.group,
  agentId: f.agentId,
  fileId: f.fileId,
});

export async function tenantFixture(h: Harness, name: string): Promise<TenantFixture> {
  const { tenant, key } = await h.createTenant('pro', `${name} Co`);
  const keyId = (await ok(h.request('GET', '/v1/api-keys', { token: key }), 200, 'list keys')).items[0].id as string;
  const narrow = await ok(h.request('POST', '/v1/api-keys', { token: key, body: { name: 'narrow', scopes: ['clusters:read'] } }), 201, 'narrow key');
  const cluster = async (n: string) => {
    const body = singleRegionCluster(`${name}-${n}`);
    const c = await ok(h.request('POST', '/v1/clusters', { token: key, body }), 202, 'cluster');
    return { id: c.id as string, bucketUrl: body.storage.buckets[0].url };
  };
  const [main, other] = [await cluster('main'), await cluster('other')];
  for (const c of [main, other]) {
    await eventually(async () => (await h.request('GET', `/v1/clusters/${c.id}`, { token: key })).body.status === 'ready', 60_000);
  }
  const topic = `${name}-orders`;
  await ok(h.request('POST', `/v1/clusters/${main.id}/topics`, { token: key, body: { name: topic, partitions: 3 } }), 201, 'topic');
  const agentKey = async (clusterId: string, access: string) =>
    ok(h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: `k-${access}`, access } }), 201, 'agent key');
  const tokenOf = async (secret: string) => (await ok(h.request('POST', '/agent/v1/token', { token: secret }), 200, 'token')).accessToken as string;
  const rw = await agentKey(main.id, 'read-write');
  const ro = await agentKey(main.id, 'read-only');
  const otherRw = await agentKey(other.id, 'read-write');
  const agentToken = await tokenOf(rw.secret);
  const readOnlyAgentToken = await tokenOf(ro.secret);
  const otherClusterAgentToken = await tokenOf(otherRw.secret);
  const register = (token: string, agentId: string) =>
    ok(
      h.request('POST', `/agent/v1/clusters/${main.id}/agents`, {
        token,
        body: { agentId, version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy', 'jobs'] },
      }),
      200,
      'register',
    );
  const agentId = `${name}-agent-rw`;
  const readOnlyAgentId = `${name}-agent-ro`;
  await register(agentToken, agentId);
  await register(readOnlyAgentToken, readOnlyAgentId);
  const fileId = `${name}-file-1`;
  await ok(
    h.request('POST', `/agent/v1/clusters/${main.id}/files`, {
      token: agentToken,
      body: {
        fileId,
        objectKey: `segments/${fileId}`,
        sizeBytes: 300,
        replicas: [{ region: 'us-east-1', bucket: main.bucketUrl, checksum: 'crc32c:00000000' }],
        batches: [0, 1, 2].map((p) => ({ topic, partition: p, byteOffset: p * 100, byteLength: 100, recordCount: 10, maxTimestamp: Date.now() })),
      },
    }),
    200,
    'commit',
  );
  const group = `${name}-group`;
  await ok(h.request('PUT', `/agent/v1/clusters/${main.id}/consumer-groups/${group}/offsets`, { token: agentToken, body: { offsets: [{ topic, partition: 0, offset: 5 }] } }), 200, 'offsets');
  const identity = await ok(
    h.request('POST', `/v1/clusters/${main.id}/agent-identities`, {
      token: key,
      body: { provider: 'aws', accountId: '123456789012', roleArnPattern: `arn:aws:iam::123456789012:role/${name}-agents-*`, access: 'read-only' },
    }),
    201,
    'identity',
  );
  return {
    name,
    tenantId: tenant.id,
    key,
    keyId,
    narrowKey: narrow.secret,
    narrowKeyId: narrow.id,
    clusterId: main.id,
    otherClusterId: other.id,
    bucketUrl: main.bucketUrl,
    topic,
    group,
    agentKeyId: rw.id,
    agentKey: rw.secret,
    readOnlyAgentKey: ro.secret,
    agentToken,
    readOnlyAgentToken,
    otherClusterAgentToken,
    agentId,
    readOnlyAgentId,
    identityId: identity.id,
    fileId,
  };
}
