import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, multiRegionCluster, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('tier gating: cluster tier ≤ plan, multi-region only on enterprise, clusters per tenant, downgrades', async () => {
  const admin = await h.adminToken();
  const dev = await h.createTenant('dev', 'Dev Co');
  const above = await h.request('POST', '/v1/clusters', { token: dev.key, body: singleRegionCluster('too-high', { tier: 'pro' }) });
  assert.equal(above.status, 422);
  assert.equal(above.body.code, 'tier_not_allowed');

  const pro = await h.createTenant('pro', 'Pro Co');
  const mrOnPro = await h.request('POST', '/v1/clusters', { token: pro.key, body: multiRegionCluster('mr', { tier: 'pro' }) });
  assert.equal(mrOnPro.status, 422);
  assert.equal(mrOnPro.body.code, 'multi_region_not_allowed');

  const ent = await h.createTenant('enterprise', 'Ent Co');
  const mr = await h.request('POST', '/v1/clusters', { token: ent.key, body: multiRegionCluster('mr') });
  assert.equal(mr.status, 202);
  assert.equal(mr.body.storage.writeQuorum, 2);
  const wrongQuorum = await h.request('POST', '/v1/clusters', {
    token: ent.key,
    body: multiRegionCluster('mr2', { storage: { ...multiRegionCluster('x').storage, writeQuorum: 3 } }),
  });
  assert.equal(wrongQuorum.body.code, 'invalid_write_quorum');
  const twoRegions = await h.request('POST', '/v1/clusters', {
    token: ent.key,
    body: { ...multiRegionCluster('mr3'), regions: ['us-east-1', 'us-west-2'] },
  });
  assert.equal(twoRegions.body.code, 'invalid_regions');
  const missingBucket = await h.request('POST', '/v1/clusters', {
    token: ent.key,
    body: { ...multiRegionCluster('mr4'), storage: { buckets: multiRegionCluster('y').storage.buckets.slice(0, 2), writeQuorum: 2 } },
  });
  assert.equal(missingBucket.body.code, 'invalid_storage');

  // dev allows 2 clusters; the third is refused, even when two creates race.
  const results = await Promise.all(['c1', 'c2', 'c3'].map((n) => h.request('POST', '/v1/clusters', { token: dev.key, body: singleRegionCluster(n) })));
  assert.deepEqual(results.map((r) => r.status).sort(), [202, 202, 409]);
  assert.equal(results.find((r) => r.status === 409)!.body.code, 'cluster_limit_reached');

  const retention = await h.request('POST', '/v1/clusters', {
    token: pro.key,
    body: singleRegionCluster('long', { config: { defaultRetentionMs: 400 * 24 * 3600 * 1000 } }),
  });
  assert.equal(retention.body.code, 'retention_exceeds_tier');

  // Downgrading the enterprise tenant is blocked by its enterprise cluster.
  const down = await h.request('PATCH', `/admin/v1/tenants/${ent.tenant.id}`, { token: admin, body: { tier: 'pro' } });
  assert.equal(down.status, 409);
  assert.equal(down.body.code, 'tier_downgrade_blocked');
  assert.deepEqual(down.body.clusters, [mr.body.id]);
  // Lowering the cluster limit below the current count is refused too.
  const tooFew = await h.request('PATCH', `/admin/v1/tenants/${dev.tenant.id}`, { token: admin, body: { limitOverrides: { clustersPerTenant: 1 } } });
  assert.equal(tooFew.body.code, 'limit_exceeded');
  // A cluster cannot move to a tier above its plan, and a multi-region one cannot leave enterprise.
  const c1 = results.find((r) => r.status === 202)!.body.id;
  assert.equal((await h.request('PATCH', `/v1/clusters/${c1}`, { token: dev.key, body: { tier: 'pro' } })).body.code, 'tier_not_allowed');
  assert.equal((await h.request('PATCH', `/v1/clusters/${mr.body.id}`, { token: ent.key, body: { tier: 'pro' } })).body.code, 'multi_region_not_allowed');
  // Upgrading the plan then lets the cluster follow.
  assert.equal((await h.request('PATCH', `/admin/v1/tenants/${dev.tenant.id}`, { token: admin, body: { tier: 'pro' } })).status, 200);
  assert.equal((await h.request('PATCH', `/v1/clusters/${c1}`, { token: dev.key, body: { tier: 'pro' } })).body.tier, 'pro');
});

test('suspension refuses the tenant\'s keys with 403 tenant_suspended, and reactivation restores them', async () => {
  const admin = await h.adminToken();
  const t = await h.createTenant('pro', 'Suspendable');
  assert.equal((await h.request('PATCH', `/admin/v1/tenants/${t.tenant.id}`, { token: admin, body: { status: 'suspended' } })).status, 200);
  const refused = await h.request('GET', '/v1/clusters', { token: t.key });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'tenant_suspended');
  assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
  await h.request('PATCH', `/admin/v1/tenants/${t.tenant.id}`, { token: admin, body: { status: 'active' } });
  assert.equal((await h.request('GET', '/v1/clusters', { token: t.key })).status, 200);
});

test('revocation takes effect on the very next request; expired keys are refused', async () => {
  const t = await h.createTenant('pro', 'Revoker');
  const k = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'temp', scopes: ['clusters:read'] } });
  assert.equal((await h.request('GET', '/v1/clusters', { token: k.body.secret })).status, 200);
  const revoked = await h.request('DELETE', `/v1/api-keys/${k.body.id}`, { token: t.key });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.status, 'revoked');
  const after = await h.request('GET', '/v1/clusters', { token: k.body.secret });
  assert.equal(after.status, 401);
  assert.equal(after.body.code, 'credentials_revoked');
  assert.equal((await h.request('DELETE', `/v1/api-keys/${k.body.id}`, { token: t.key })).status, 200, 'revoking again is harmless');

  // Long enough that a loaded machine still gets the first request in before it.
  const soon = new Date(Date.now() + 5000).toISOString();
  const exp = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'short', scopes: ['clusters:read'], expiresAt: soon } });
  assert.equal(exp.status, 201);
  assert.equal((await h.request('GET', '/v1/clusters', { token: exp.body.secret })).status, 200);
  await eventually(async () => (await h.request('GET', '/v1/clusters', { token: exp.body.secret })).body.code === 'credentials_expired', 30_000, 200);
});

test('scopes: checked per route; a key cannot mint a broader key', async () => {
  const t = await h.createTenant('pro', 'Scoper');
  const ro = (await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'ro', scopes: ['clusters:read', 'keys:write'] } })).body.secret;
  const w = await h.request('POST', '/v1/clusters', { token: ro, body: singleRegionCluster('nope') });
  assert.equal(w.status, 403);
  assert.equal(w.body.code, 'insufficient_scope');
  const esc = await h.request('POST', '/v1/api-keys', { token: ro, body: { name: 'esc', scopes: ['clusters:write'] } });
  assert.equal(esc.status, 403);
  assert.equal(esc.body.code, 'scope_escalation');
  const unknown = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'x', scopes: ['clusters:destroy'] } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.code, 'unknown_scope');
});

test('cross-tenant: another tenant\'s cluster is 404, exactly like a missing one; cursors do not cross lists', async () => {
  const a = await h.createTenant('pro', 'Tenant A');
  const b = await h.createTenant('pro', 'Tenant B');
  const ca = (await h.request('POST', '/v1/clusters', { token: a.key, body: singleRegionCluster('secret-a') })).body.id;
  await h.request('POST', '/v1/clusters', { token: a.key, body: singleRegionCluster('secret-a2') });
  const missing = 'vci_01m87drmpqga8tgzsda4hm79fm';
  for (const [method, body] of [['GET', undefined], ['PATCH', { deletionProtection: true }], ['DELETE', undefined]] as const) {
    const theirs = await h.request(method, `/v1/clusters/${ca}`, { token: b.key, body });
    const none = await h.request(method, `/v1/clusters/${missing}`, { token: b.key, body });
    assert.equal(theirs.status, 404, `${method} of another tenant's cluster`);
    assert.equal(theirs.body.code, none.body.code);
    assert.equal(theirs.body.detail.replace(ca, 'X'), none.body.detail.replace(missing, 'X'), 'same detail as a missing cluster');
  }
  assert.equal((await h.request('GET', `/v1/clusters/${ca}`, { token: a.key })).body.status !== undefined, true);
  // B's list shows nothing of A's, and A's cursor is refused in B's list and in another list.
  assert.equal((await h.request('GET', '/v1/clusters', { token: b.key })).body.items.length, 0);
  const pageA = await h.request('GET', '/v1/clusters?limit=1', { token: a.key });
  assert.ok(pageA.body.nextCursor);
  const stolen = await h.request('GET', `/v1/clusters?cursor=${encodeURIComponent(pageA.body.nextCursor)}`, { token: b.key });
  assert.equal(stolen.status, 400);
  assert.equal(stolen.body.code, 'invalid_cursor');
  const otherList = await h.request('GET', `/v1/api-keys?cursor=${encodeURIComponent(pageA.body.nextCursor)}`, { token: a.key });
  assert.equal(otherList.body.code, 'invalid_cursor');
  // B cannot revoke A's keys either.
  const aKeys = await h.request('GET', '/v1/api-keys', { token: a.key });
  assert.equal((await h.request('DELETE', `/v1/api-keys/${aKeys.body.items[0].id}`, { token: b.key })).status, 404);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${ca}`, { token: a.key })).body.status === 'ready');
});

test('Idempotency-Key: a replay returns the first answer and creates nothing new', async () => {
  const t = await h.createTenant('pro', 'Idem');
  const headers = { 'idempotency-key': 'create-orders-1' };
  const first = await h.request('POST', '/v1/clusters', { token: t.key, headers, body: singleRegionCluster('idem') });
  const again = await h.request('POST', '/v1/clusters', { token: t.key, headers, body: singleRegionCluster('idem') });
  assert.equal(first.status, 202);
  assert.equal(again.status, 202);
  assert.equal(again.headers['idempotency-replayed'], 'true');
  assert.deepEqual(again.body, first.body);
  assert.equal((await h.request('GET', '/v1/clusters', { token: t.key })).body.items.length, 1);
  const reused = await h.request('POST', '/v1/clusters', { token: t.key, headers, body: singleRegionCluster('other') });
  assert.equal(reused.status, 422);
  assert.equal(reused.body.code, 'idempotency_key_reused');
  // A failure is not remembered: the same key can be used once the request is fixed.
  const bad = await h.request('POST', '/v1/api-keys', { token: t.key, headers: { 'idempotency-key': 'k2' }, body: { name: 'x', scopes: ['nope'] } });
  assert.equal(bad.status, 400);
  const good = await h.request('POST', '/v1/api-keys', { token: t.key, headers: { 'idempotency-key': 'k2' }, body: { name: 'x', scopes: ['clusters:read'] } });
  assert.equal(good.status, 201);
  const replay = await h.request('POST', '/v1/api-keys', { token: t.key, headers: { 'idempotency-key': 'k2' }, body: { name: 'x', scopes: ['clusters:read'] } });
  assert.equal(replay.body.id, good.body.id);
  // Admin tenant creation honours it too.
  const admin = await h.adminToken();
  const t1 = await h.request('POST', '/admin/v1/tenants', { token: admin, headers: { 'idempotency-key': 'tenant-x' }, body: { name: 'X', tier: 'dev' } });
  const t2 = await h.request('POST', '/admin/v1/tenants', { token: admin, headers: { 'idempotency-key': 'tenant-x' }, body: { name: 'X', tier: 'dev' } });
  assert.equal(t2.body.tenant.id, t1.body.tenant.id);
  // Different tenants' keys do not collide.
  const u = await h.createTenant('pro', 'Other');
  const theirs = await h.request('POST', '/v1/clusters', { token: u.key, headers, body: singleRegionCluster('idem') });
  assert.equal(theirs.status, 202);
  assert.notEqual(theirs.body.id, first.body.id);
});
