import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('tenant → API key → cluster → ready → delete → deleted, through the workers', async () => {
  const { tenant, key } = await h.createTenant('pro');
  assert.match(tenant.id, /^tnt_/);
  assert.match(key, /^hm_sk_[0-9a-z]{26}_[0-9A-Za-z]{38}$/);

  const me = await h.request('GET', '/v1/tenant', { token: key });
  assert.equal(me.status, 200);
  assert.equal(me.body.id, tenant.id);

  // A narrower key made by the first one.
  const created = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'ci', scopes: ['clusters:read', 'clusters:write'] } });
  assert.equal(created.status, 201);
  const ciKey = created.body.secret as string;
  const listed = await h.request('GET', '/v1/api-keys', { token: key });
  assert.equal(listed.status, 200);
  assert.equal(listed.body.items.length, 2);
  assert.ok(listed.body.items.every((k: Record<string, unknown>) => !('secret' in k) && !('secretHash' in k)), 'secrets never listed');

  const create = await h.request('POST', '/v1/clusters', { token: ciKey, body: singleRegionCluster('orders', { deletionProtection: true }) });
  assert.equal(create.status, 202);
  assert.equal(create.body.status, 'provisioning');
  assert.equal(create.headers.location, `/v1/clusters/${create.body.id}`);
  const id = create.body.id as string;

  const ready = await eventually(async () => {
    const r = await h.request('GET', `/v1/clusters/${id}`, { token: ciKey });
    return r.body.status === 'ready' ? r.body : undefined;
  });
  assert.equal(ready.tier, 'pro', 'a cluster defaults to its tenant\'s tier');
  const lease = await h.runtime.db.get(h.runtime.tables.metadata, { pk: `T#${tenant.id}#C#${id}`, sk: 'LEASE' });
  assert.deepEqual({ epoch: lease?.epoch, holder: lease?.holder }, { epoch: 0, holder: null }, 'provisioning allocated the lease item');

  const refused = await h.request('DELETE', `/v1/clusters/${id}`, { token: ciKey });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.code, 'deletion_protected');

  const off = await h.request('PATCH', `/v1/clusters/${id}`, { token: ciKey, body: { deletionProtection: false, config: { defaultPartitions: 12 } } });
  assert.equal(off.status, 200);
  assert.equal(off.body.config.defaultPartitions, 12);
  assert.equal(off.body.version, ready.version + 1);

  const del = await h.request('DELETE', `/v1/clusters/${id}`, { token: ciKey });
  assert.equal(del.status, 202);
  assert.equal(del.body.status, 'deleting');
  await eventually(async () => (await h.request('GET', `/v1/clusters/${id}`, { token: ciKey })).body.status === 'deleted');
  const left = [];
  for await (const it of h.runtime.db.queryAll<{ sk: string; retiredAt?: number; purgedAt?: number; ttl?: number }>({ table: h.runtime.tables.metadata, keyCondition: 'pk = :pk', values: { ':pk': `T#${tenant.id}#C#${id}` } })) left.push(it);
  assert.deepEqual(left.map((it) => it.sk), ['LEASE'], 'metadata home removed, but for the lease tombstone');
  assert.ok(left[0].retiredAt && left[0].purgedAt && left[0].ttl, 'the tombstone records the purge and expires by TTL');
  const visible = await h.request('GET', '/v1/clusters', { token: ciKey });
  assert.equal(visible.body.items.length, 0, 'deleted clusters leave the default list');
  const withDeleted = await h.request('GET', '/v1/clusters?includeDeleted=true', { token: ciKey });
  assert.equal(withDeleted.body.items.length, 1);
  assert.equal((await h.request('GET', '/v1/tenant', { token: key })).body.clusterCount, 0, 'the plan slot is freed');

  // The name is free again.
  assert.equal((await h.request('POST', '/v1/clusters', { token: ciKey, body: singleRegionCluster('orders') })).status, 202);

  const audit = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
  const actions = audit.body.items.map((e: { action: string; result: string }) => `${e.action}:${e.result}`);
  for (const a of ['api_key.create:success', 'cluster.create:success', 'cluster.ready:success', 'cluster.delete:failure', 'cluster.update:success', 'cluster.delete:success', 'cluster.deleted:success']) {
    assert.ok(actions.includes(a), `audit has ${a}`);
  }
  const del409 = audit.body.items.find((e: { action: string; result: string }) => e.action === 'cluster.delete' && e.result === 'failure');
  assert.equal(del409.errorCode, 'deletion_protected');
  assert.equal(del409.target.id, id);
  assert.match(del409.requestId, /^req_/);
  const adminAudit = await h.request('GET', '/admin/v1/audit-events?limit=100', { token: await h.adminToken(['viewer']) });
  assert.ok(adminAudit.body.items.some((e: { action: string }) => e.action === 'tenant.create'));
});

test('admin: list, get, update and delete tenants; deletion is refused while clusters exist', async () => {
  const admin = await h.adminToken();
  const { tenant, key } = await h.createTenant('fundamentals', 'Lister');
  const page1 = await h.request('GET', '/admin/v1/tenants?limit=1', { token: admin });
  assert.equal(page1.status, 200);
  assert.equal(page1.body.items.length, 1);
  assert.ok(page1.body.nextCursor);
  const page2 = await h.request('GET', `/admin/v1/tenants?limit=1&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { token: admin });
  assert.notEqual(page2.body.items[0].id, page1.body.items[0].id);

  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('events') });
  assert.equal(c.status, 202);
  const blocked = await h.request('DELETE', `/admin/v1/tenants/${tenant.id}`, { token: admin });
  assert.equal(blocked.status, 409);
  assert.equal(blocked.body.code, 'tenant_has_clusters');
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  await h.request('DELETE', `/v1/clusters/${c.body.id}`, { token: key });
  await eventually(async () => (await h.request('GET', `/admin/v1/tenants/${tenant.id}`, { token: admin })).body.clusterCount === 0);

  const renamed = await h.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { token: admin, body: { name: 'Renamed', limitOverrides: { clustersPerTenant: 3 } } });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.name, 'Renamed');
  assert.equal(renamed.body.limitOverrides.clustersPerTenant, 3);

  const viewer = await h.adminToken(['viewer']);
  const denied = await h.request('DELETE', `/admin/v1/tenants/${tenant.id}`, { token: viewer });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.code, 'insufficient_role');

  const gone = await h.request('DELETE', `/admin/v1/tenants/${tenant.id}`, { token: admin });
  assert.equal(gone.status, 202);
  assert.equal(gone.body.status, 'deleting');
  await eventually(async () => (await h.request('GET', `/admin/v1/tenants/${tenant.id}`, { token: admin })).status === 404);
  const keyAfter = await h.request('GET', '/v1/tenant', { token: key });
  assert.equal(keyAfter.status, 401, 'a purged tenant\'s keys stop working');
});

test('ops: healthz, readyz, metrics, OpenAPI covers every route with schemas', async () => {
  assert.equal((await h.request('GET', '/healthz')).status, 200);
  const ready = await h.request('GET', '/readyz');
  assert.equal(ready.status, 200);
  assert.deepEqual(Object.keys(ready.body.checks).sort(), ['redis', 'store']);
  const metrics = await h.request('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /http_request_duration_seconds/);
  assert.match(metrics.text, /hm_jobs_exhausted_total\{queue="lifecycle",name="cluster.destroy"\} 0/, 'exhausted jobs are counted from 0');
  const queues = await h.request('GET', '/admin/v1/queues', { token: await h.adminToken(['viewer']) });
  assert.equal(queues.status, 200);
  assert.ok(queues.body.queues.some((q: { name: string }) => q.name === 'lifecycle'));

  const doc = (await h.request('GET', '/docs/json')).body;
  assert.equal(doc.openapi, '3.0.3');
  assert.equal(doc.paths['/metrics'], undefined, '/metrics is not in the document');
  const routes = h.app.printRoutes({ commonPrefix: false });
  const expected = [
    ['/v1/tiers', 'get'], ['/v1/tenant', 'get'], ['/v1/api-keys', 'post'], ['/v1/api-keys', 'get'], ['/v1/api-keys/{keyId}', 'delete'],
    ['/v1/clusters', 'post'], ['/v1/clusters', 'get'], ['/v1/clusters/{clusterId}', 'get'], ['/v1/clusters/{clusterId}', 'patch'],
    ['/v1/clusters/{clusterId}', 'delete'], ['/v1/audit-events', 'get'], ['/admin/v1/tenants', 'post'], ['/admin/v1/tenants', 'get'],
    ['/admin/v1/tenants/{tenantId}', 'get'], ['/admin/v1/tenants/{tenantId}', 'patch'], ['/admin/v1/tenants/{tenantId}', 'delete'],
    ['/admin/v1/clusters', 'get'], ['/admin/v1/audit-events', 'get'], ['/admin/v1/queues', 'get'], ['/healthz', 'get'], ['/readyz', 'get'],
  ];
  assert.ok(routes.length > 0);
  for (const [p, m] of expected) {
    const op = doc.paths[p]?.[m];
    assert.ok(op, `${m.toUpperCase()} ${p} documented`);
    assert.ok(op.responses && Object.keys(op.responses).some((s) => s.startsWith('2')), `${m} ${p} has a success response schema`);
    if (m === 'post' || m === 'patch') assert.ok(op.requestBody?.content?.['application/json']?.schema, `${m} ${p} has a request schema`);
  }
});
