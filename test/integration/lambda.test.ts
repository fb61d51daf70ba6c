import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLambdaApp, type LambdaApp } from '../../infra/lambda';
import { freePort } from '../../infra/local/free-port';
import { clusterPk } from '../../shared/keys';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { apiGatewayEvent, lambdaContext, parseResult } from '../helpers/api-gateway';

// The Lambda API and an agent-plane node (the harness, listening on a real port) share one
// store and one Redis, as they do on AWS.
let h: Harness;
let lambda: LambdaApp;
let key: string;
let admin: string;
let clusterId: string;

before(async () => {
  const port = await freePort();
  h = await startHarness({ env: { HM_ADVERTISED_ADDRESS: `http://127.0.0.1:${port}` } });
  const nodeUrl = await h.listen(port);
  lambda = await createLambdaApp({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HM_DATA_DIR: h.config.dataDir,
    HM_QUEUE_PREFIX: h.config.queuePrefix,
    DYNAMODB_ENDPOINT: h.engines.dynamoEndpoint,
    HM_TABLE_PREFIX: h.config.tablePrefix,
    REDIS_URL: h.engines.redisUrl,
    HM_API_KEY_PEPPER: 'test-pepper-'.padEnd(40, 'x'),
    HM_AGENT_PLANE_URL: nodeUrl,
  });
  ({ key } = await h.createTenant('pro', 'Lambda Co'));
  admin = await h.adminToken();
  const created = await invoke('POST', '/v1/clusters', { token: key, body: singleRegionCluster('orders') });
  assert.equal(created.status, 202, created.text);
  clusterId = created.body.id;
  await eventually(async () => (await invoke('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready');
});
after(async () => {
  await lambda?.close();
  await h?.close();
});

async function invoke(method: string, url: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers = { ...(o.headers ?? {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) };
  return parseResult(await lambda.handler(apiGatewayEvent(method, url, { headers, body: o.body }), lambdaContext));
}

test('the Lambda answers customer and admin reads exactly as the HTTP server does', async () => {
  const reads: [string, string, string | undefined, unknown?][] = [
    ['GET', '/v1/tiers', undefined],
    ['GET', '/v1/tenant', key],
    ['GET', '/v1/clusters', key],
    ['GET', `/v1/clusters/${clusterId}`, key],
    ['GET', '/v1/api-keys', key],
    ['GET', `/v1/clusters/${clusterId}/agents`, key],
    ['GET', `/v1/clusters/${clusterId}/agent-keys`, key],
    ['GET', '/v1/audit-events?limit=3', key],
    ['GET', '/admin/v1/tenants?limit=5', admin],
    ['GET', '/admin/v1/clusters', admin],
    ['GET', '/healthz', undefined],
    // Refusals are the same problems, too.
    ['GET', '/v1/clusters/vci_01jd4v7m2q8x3k5n6p7r8s9t0a', key],
    ['GET', '/v1/clusters?limit=0', key],
    ['GET', '/v1/clusters', undefined],
    ['GET', '/admin/v1/tenants', key],
    ['POST', '/v1/clusters', key, { name: 'x', colour: 'red' }],
    ['POST', '/v1/clusters', key, { ...singleRegionCluster('bad'), tier: 'gold' }],
    ['DELETE', `/v1/clusters/${clusterId}/agent-keys/akn_01jd4v7m2q8x3k5n6p7r8s9t0a`, key],
  ];
  for (const [i, [method, url, token, body]] of reads.entries()) {
    const headers = { 'x-request-id': `compare-${i}` };
    const viaServer = await h.request(method, url, { token, body, headers });
    const viaLambda = await invoke(method, url, { token, body, headers });
    assert.equal(viaLambda.status, viaServer.status, `${method} ${url}: ${viaLambda.text}`);
    assert.equal(viaLambda.headers['content-type'], viaServer.headers['content-type'], `${method} ${url}`);
    assert.deepEqual(viaLambda.body, viaServer.body, `${method} ${url}`);
  }
});

test('agent routes are not served by the Lambda (they run on the agent plane)', async () => {
  for (const [method, url] of [['POST', '/agent/v1/token'], ['GET', '/.well-known/jwks.json'], ['POST', `/agent/v1/clusters/${clusterId}/agents`]]) {
    const res = await invoke(method, url, { token: 'hm_ak_x' });
    assert.equal(res.status, 404, url);
    assert.equal(res.body.code, 'route_not_found');
  }
  // Its docs describe what it serves.
  const doc = (await invoke('GET', '/docs/json')).body;
  assert.ok(doc.paths['/v1/usage'] && doc.paths['/admin/v1/usage'] && doc.paths['/v1/clusters/{clusterId}/topics']);
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/agent/')));
  const ui = await invoke('GET', '/docs', { headers: { accept: 'text/html' } });
  assert.equal(ui.status, 200);
  assert.match(ui.headers['content-type'], /text\/html/);
  assert.match(ui.text, /swagger/i);
});

test('topic changes are forwarded to the leader, applied and audited once there; the Lambda never leads', async () => {
  const headers = { 'idempotency-key': 'create-payments-1' };
  const created = await invoke('POST', `/v1/clusters/${clusterId}/topics`, { token: key, headers, body: { name: 'payments', partitions: 3 } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.partitions, 3);
  // The leader holds it: the server's own answer is the same.
  assert.deepEqual((await h.request('GET', `/v1/clusters/${clusterId}/topics/payments`, { token: key })).body, created.body);
  assert.deepEqual((await invoke('GET', `/v1/clusters/${clusterId}/topics/payments`, { token: key })).body, created.body);
  // A retry with the same key replays the first answer; nothing is applied twice.
  const replay = await invoke('POST', `/v1/clusters/${clusterId}/topics`, { token: key, headers, body: { name: 'payments', partitions: 3 } });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers['idempotency-replayed'], 'true');
  assert.deepEqual(replay.body, created.body);
  const grown = await invoke('PATCH', `/v1/clusters/${clusterId}/topics/payments`, { token: key, body: { partitions: 5 } });
  assert.equal(grown.status, 200, grown.text);
  assert.equal(grown.body.partitions, 5);
  const listed = await invoke('GET', `/v1/clusters/${clusterId}/topics`, { token: key });
  assert.deepEqual(listed.body.items.map((t: { name: string }) => t.name), ['payments']);
  // Problems come back as the leader gave them.
  const dup = await invoke('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 'payments', partitions: 1 } });
  assert.equal(dup.status, 409);
  assert.match(dup.headers['content-type'], /^application\/problem\+json/);
  assert.equal(dup.body.code, 'topic_exists');
  assert.equal((await invoke('DELETE', `/v1/clusters/${clusterId}/topics/payments`, { token: key })).status, 200);
  const gone = await invoke('GET', `/v1/clusters/${clusterId}/topics/payments`, { token: key });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.code, 'unknown_topic');

  const events = (await h.request('GET', '/v1/audit-events?limit=50', { token: key })).body.items.filter((e: { action: string }) => e.action.startsWith('topic.'));
  // Each change once; the idempotent replay is recorded as such (replay: true), changing nothing.
  assert.deepEqual(
    events.map((e: { action: string; result: string; replay?: boolean }) => `${e.action}:${e.result}${e.replay ? ':replay' : ''}`).sort(),
    ['topic.create:failure', 'topic.create:success', 'topic.create:success:replay', 'topic.delete:success', 'topic.update:success'],
  );
  assert.deepEqual(lambda.runtime.services.metadata.status(), [], 'the Lambda holds no sequencer');
  const tenantId = (await invoke('GET', '/v1/tenant', { token: key })).body.id as string;
  assert.ok(h.runtime.services.metadata.status().some((s) => s.cluster === clusterPk(tenantId, clusterId)), 'the agent-plane node leads it');
  // The scope is checked before anything is forwarded.
  const narrow = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'ro', scopes: ['topics:read'] } });
  const refused = await invoke('POST', `/v1/clusters/${clusterId}/topics`, { token: narrow.body.secret, body: { name: 'x', partitions: 1 } });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'insufficient_scope');
});

test('no leader yet: the agent plane takes the cluster; a dead leader still holding its lease gives a retryable 503 until it expires', async () => {
  const fresh = (await invoke('POST', '/v1/clusters', { token: key, body: singleRegionCluster('fresh') })).body.id as string;
  await eventually(async () => (await invoke('GET', `/v1/clusters/${fresh}`, { token: key })).body.status === 'ready');
  const tenantId = (await invoke('GET', '/v1/tenant', { token: key })).body.id as string;
  const lease = await lambda.runtime.db.get<{ holder: string | null }>(lambda.runtime.tables.metadata, { pk: clusterPk(tenantId, fresh), sk: 'LEASE' });
  assert.equal(lease?.holder ?? null, null, 'nobody leads it yet');
  assert.equal((await invoke('POST', `/v1/clusters/${fresh}/topics`, { token: key, body: { name: 'a', partitions: 1 } })).status, 201);

  // A crashed leader: its lease is live for another 1.5 s and names an address nobody answers on.
  const ghost = (await invoke('POST', '/v1/clusters', { token: key, body: singleRegionCluster('ghost') })).body.id as string;
  await eventually(async () => (await invoke('GET', `/v1/clusters/${ghost}`, { token: key })).body.status === 'ready');
  const dead = `http://127.0.0.1:${await freePort()}`;
  await lambda.runtime.db.put(lambda.runtime.tables.metadata, { pk: clusterPk(tenantId, ghost), sk: 'LEASE', holder: 'ghost-node', holderAddress: dead, incarnation: 'x', epoch: 1, expiresAt: Date.now() + 1500 });
  const during = await invoke('GET', `/v1/clusters/${ghost}/topics`, { token: key });
  assert.equal(during.status, 503, during.text);
  assert.equal(during.body.code, 'not_leader');
  assert.equal(during.headers['retry-after'], '1');
  await eventually(async () => (await invoke('GET', `/v1/clusters/${ghost}/topics`, { token: key })).status === 200, 10_000, 100);
});
