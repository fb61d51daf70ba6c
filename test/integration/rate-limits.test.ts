import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, type ManualClock } from '../../shared/clock';
import { apiKeyFormat } from '../../services/credentials/secret-format';
import { singleRegionCluster, startHarness, type Harness, type Reply } from '../helpers/harness';

// Budgets on a manual clock: nothing refills unless the test moves time, so no wall-clock
// window has to be hit. Every test gets its own control plane with the limits it sets.
let open: Harness[] = [];
afterEach(async () => {
  for (const h of open.reverse()) await h.close();
  open = [];
});

async function plane(env: Record<string, string>, clock: ManualClock = manualClock(Date.UTC(2026, 0, 1))) {
  const h = await startHarness({ workers: false, clock, env });
  open.push(h);
  return { h, clock };
}

function assertLimited(r: Reply, limit: string) {
  assert.equal(r.status, 429, r.text);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  assert.equal(r.body.code, 'rate_limited');
  assert.equal(r.body.limit, limit);
  assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After');
}

async function readyCluster(h: Harness, key: string, tenantId: string, name: string) {
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name) });
  assert.equal(c.status, 202, c.text);
  await h.runtime.lifecycle.provision(tenantId, c.body.id);
  return c.body.id as string;
}

async function agentToken(h: Harness, key: string, clusterId: string, remoteAddress = '10.9.9.9') {
  const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'agents', access: 'read-write' } });
  assert.equal(ak.status, 201, ak.text);
  const t = await h.request('POST', '/agent/v1/token', { headers: { authorization: `Bearer ${ak.body.secret}` }, remoteAddress });
  assert.equal(t.status, 200, t.text);
  return { agentKey: ak.body.secret as string, token: t.body.accessToken as string };
}

test('failed authentications are limited per client address, before any verification; a key seen to work still passes', async () => {
  const { h, clock } = await plane({ HM_AUTH_FAILURES_PER_MINUTE: '5' });
  const { key } = await h.createTenant('pro', 'Acme');
  const { key: unusedKey } = await h.createTenant('pro', 'Other');
  assert.equal((await h.request('GET', '/v1/tenant', { token: key, remoteAddress: '10.0.0.9' })).status, 200);

  const bad = (remoteAddress: string) => h.request('GET', '/v1/tenant', { token: 'hm_sk_not-a-key', remoteAddress });
  for (let i = 0; i < 5; i++) assert.equal((await bad('10.0.0.1')).status, 401);
  assertLimited(await bad('10.0.0.1'), 'auth-failures');
  assertLimited(await h.request('GET', '/v1/tenant', { token: unusedKey, remoteAddress: '10.0.0.1' }), 'auth-failures');
  assert.equal((await h.request('GET', '/v1/tenant', { token: key, remoteAddress: '10.0.0.1' })).status, 200, 'a key that worked here is not locked out');
  assert.equal((await bad('10.0.0.2')).status, 401, 'another address has its own budget');
  // IPv6: one /64 is one budget.
  for (let i = 0; i < 5; i++) assert.equal((await bad(`2001:db8:1:2::${i + 1}`)).status, 401);
  assertLimited(await bad('2001:db8:1:2:ffff::9'), 'auth-failures');

  clock.advance(60_000);
  assert.equal((await bad('10.0.0.1')).status, 401, 'the budget refills');
  // Failures of the admin audience are limited the same way.
  for (let i = 0; i < 5; i++) assert.equal((await h.request('GET', '/admin/v1/tenants', { token: 'not.a.jwt', remoteAddress: '10.0.0.3' })).status, 401);
  assertLimited(await h.request('GET', '/admin/v1/tenants', { token: 'not.a.jwt', remoteAddress: '10.0.0.3' }), 'auth-failures');
  const m = await h.request('GET', '/metrics');
  assert.match(m.text, /hm_rate_limited_total\{limit="auth-failures"\} \d+/);
});

test('bad secrets for a real key id are limited per key id across addresses, and the budget is shared by processes', async () => {
  const { h, clock } = await plane({ HM_AUTH_FAILURES_PER_MINUTE: '4' });
  const other = await startHarness({ shareWith: h, workers: false, clock, env: { HM_AUTH_FAILURES_PER_MINUTE: '4' } });
  open.push(other);
  const { key } = await h.createTenant('pro', 'Acme');
  assert.equal((await h.request('GET', '/v1/tenant', { token: key, remoteAddress: '10.1.0.1' })).status, 200);
  const parsed = apiKeyFormat.parse(key);
  assert.ok(typeof parsed === 'object');
  // Well-formed secrets (valid checksum) for the real key id, each from a new address.
  const guess = (app: Harness, i: number) => app.request('GET', '/v1/tenant', { token: apiKeyFormat.mint(parsed.id).secret, remoteAddress: `10.2.0.${i}` });
  for (let i = 0; i < 3; i++) assert.equal((await guess(h, i)).body.code, 'invalid_credentials');
  // The fourth failure lands on the other process: the count is in Redis.
  assert.equal((await guess(other, 3)).status, 401);
  assertLimited(await guess(other, 4), 'auth-failures');
  // This process learns of the spent budget from its own next failure (one check against
  // Redis per failure, none per success), and refuses from then on.
  assert.equal((await guess(h, 5)).status, 401);
  assertLimited(await guess(h, 6), 'auth-failures');
  assert.equal((await h.request('GET', '/v1/tenant', { token: key, remoteAddress: '10.3.0.1' })).status, 200, "the key's holder keeps working");
});

test('token exchanges are limited per client address and per agent key; garbage agent tokens per address', async () => {
  const { h } = await plane({ HM_TOKEN_EXCHANGES_PER_MINUTE: '3', HM_AUTH_FAILURES_PER_MINUTE: '5' });
  const { tenant, key } = await h.createTenant('pro', 'Acme');
  const clusterId = await readyCluster(h, key, tenant.id, 'tokens');
  const { agentKey, token } = await agentToken(h, key, clusterId, '10.4.0.1');
  const exchange = (remoteAddress: string) => h.request('POST', '/agent/v1/token', { headers: { authorization: `Bearer ${agentKey}` }, remoteAddress });
  assert.equal((await exchange('10.4.0.1')).status, 200);
  assert.equal((await exchange('10.4.0.1')).status, 200);
  assertLimited(await exchange('10.4.0.1'), 'token-exchange-address');
  assertLimited(await exchange('10.4.0.2'), 'token-exchange-key');

  // Forged or garbage agent tokens cost a signature check each: limited per address, while a
  // token this process verified before still passes from there.
  const beat = (t: string, remoteAddress = '10.4.0.9') => h.request('POST', `/agent/v1/clusters/${clusterId}/agents/a-1/heartbeat`, { token: t, body: { stats: {} }, remoteAddress });
  assert.equal((await beat(token, '10.4.0.8')).body.code, 'agent_not_registered');
  const forged = `${token.slice(0, -4)}AAAA`;
  for (let i = 0; i < 5; i++) assert.equal((await beat(forged)).status, 401);
  assertLimited(await beat(forged), 'auth-failures');
  assert.equal((await beat(token)).body.code, 'agent_not_registered', 'a verified token is not locked out');
});

test("agent metadata requests are limited per cluster by the tier's rate; heartbeats have each agent's own budget", async () => {
  const { h, clock } = await plane({ HM_HEARTBEAT_INTERVAL_MS: '5000' });
  const admin = await h.adminToken();
  const t = await h.request('POST', '/admin/v1/tenants', { token: admin, body: { name: 'Slow', tier: 'dev', limitOverrides: { metadataRequestsPerSecond: 3 } } });
  assert.equal(t.status, 201, t.text);
  const key = t.body.apiKey.secret;
  const clusterId = await readyCluster(h, key, t.body.tenant.id, 'meta');
  const otherCluster = await readyCluster(h, key, t.body.tenant.id, 'meta-two');
  const { token } = await agentToken(h, key, clusterId);
  const { token: otherToken } = await agentToken(h, key, otherCluster);
  const register = await h.request('POST', `/agent/v1/clusters/${clusterId}/agents`, {
    token,
    body: { agentId: 'a-1', version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] },
  });
  assert.equal(register.status, 200, register.text);

  const topics = (tk: string, c: string) => h.request('GET', `/agent/v1/clusters/${c}/topics`, { token: tk });
  assert.equal((await topics(token, clusterId)).status, 200);
  assert.equal((await topics(token, clusterId)).status, 200);
  assertLimited(await topics(token, clusterId), 'cluster-metadata');
  assertLimited(await h.request('POST', `/agent/v1/clusters/${clusterId}/list-offsets`, { token, body: { partitions: [] } }), 'cluster-metadata');
  assert.equal((await topics(otherToken, otherCluster)).status, 200, 'each cluster has its own budget');

  // Heartbeats are not charged to the cluster: each agent has 2 per interval, 10 at once.
  const beat = () => h.request('POST', `/agent/v1/clusters/${clusterId}/agents/a-1/heartbeat`, { token, body: { stats: {} } });
  for (let i = 0; i < 10; i++) assert.equal((await beat()).status, 200, `beat ${i}`);
  assertLimited(await beat(), 'agent-heartbeats');
  clock.advance(2500);
  assert.equal((await beat()).status, 200, 'one more after half an interval');
  assertLimited(await beat(), 'agent-heartbeats');

  clock.advance(1000);
  assert.equal((await topics(token, clusterId)).status, 200, 'the cluster budget refills');
  const metrics = (await h.request('GET', '/metrics')).text;
  assert.match(metrics, /^hm_rate_limited_total\{limit="agent-heartbeats"\} 2$/m);
  assert.match(metrics, /^hm_rate_limited_total\{limit="cluster-metadata"\} 2$/m);
  assert.match(metrics, /^hm_agent_heartbeats_total\{result="rate_limited"\} 2$/m);
});

test('the per-tenant budget of the customer API answers 429 rate_limited with Retry-After', async () => {
  const { h, clock } = await plane({ HM_RATE_LIMIT_PER_MINUTE: '3' });
  const { key } = await h.createTenant('pro', 'Acme');
  // createTenant itself was an admin request (the admin's own budget).
  for (let i = 0; i < 3; i++) assert.equal((await h.request('GET', '/v1/tenant', { token: key })).status, 200);
  assertLimited(await h.request('GET', '/v1/tenant', { token: key }), 'caller');
  clock.advance(20_000);
  assert.equal((await h.request('GET', '/v1/tenant', { token: key })).status, 200);
});

test('a multi-file commit costs one unit of the cluster budget per file (at most the whole budget)', async () => {
  const { h, clock } = await plane({});
  const admin = await h.adminToken();
  const t = await h.request('POST', '/admin/v1/tenants', { token: admin, body: { name: 'Batched', tier: 'dev', limitOverrides: { metadataRequestsPerSecond: 4 } } });
  assert.equal(t.status, 201, t.text);
  const key = t.body.apiKey.secret;
  const clusterId = await readyCluster(h, key, t.body.tenant.id, 'batched');
  const { token } = await agentToken(h, key, clusterId);
  const file = (fileId: string) => ({
    fileId,
    objectKey: `k/${fileId}`,
    sizeBytes: 10,
    replicas: [{ region: 'us-east-1', bucket: 's3://acme-batched/data', checksum: 'c' }],
    batches: [{ topic: 'nowhere', partition: 0, byteOffset: 0, byteLength: 10, recordCount: 1, maxTimestamp: -1 }],
  });
  const commit = (n: number, from: number) =>
    h.request('POST', `/agent/v1/clusters/${clusterId}/files/batch`, { token, body: { files: Array.from({ length: n }, (_, i) => file(`f-${from + i}`)) } });
  const three = await commit(3, 0);
  assert.equal(three.status, 200, three.text);
  assert.equal(three.body.files[0].results[0].error, 'UNKNOWN_TOPIC_OR_PARTITION');
  assertLimited(await commit(2, 10), 'cluster-metadata');
  assert.equal((await commit(1, 20)).status, 200, 'the fourth unit');
  assertLimited(await commit(1, 30), 'cluster-metadata');
  clock.advance(1000);
  assert.equal((await commit(32, 40)).status, 200, 'more files than the budget holds cost the whole budget, not a refusal forever');
  assertLimited(await commit(1, 80), 'cluster-metadata');
});
