import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

/**
 * Items with a TTL must read as gone once it passed: dynalite never deletes them, and on AWS
 * TTL deletion lags expiry by up to days. The clock is moved past each retention.
 */
const clock = manualClock(Date.now());
const DAY = 86_400_000;
let h: Harness;
before(async () => {
  h = await startHarness({ clock });
});
after(() => h.close());

test('a deleted cluster is kept 30 days, then reads as gone everywhere', async () => {
  const { key } = await h.createTenant('pro', 'Expiry Co');
  const id = (await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('short-lived') })).body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${id}`, { token: key })).body.status === 'ready');
  assert.equal((await h.request('DELETE', `/v1/clusters/${id}`, { token: key })).status, 202);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${id}`, { token: key })).body.status === 'deleted');
  const admin = await h.adminToken();
  const listed = async () => ({
    own: (await h.request('GET', '/v1/clusters?includeDeleted=true', { token: key })).body.items.map((c: { id: string }) => c.id),
    admin: (await h.request('GET', '/admin/v1/clusters?limit=100', { token: admin })).body.items.map((c: { id: string }) => c.id),
  });
  clock.advance(29 * DAY);
  assert.equal((await h.request('GET', `/v1/clusters/${id}`, { token: key })).body.status, 'deleted', 'still visible within the retention');
  assert.deepEqual(await listed(), { own: [id], admin: [id] });

  clock.advance(1 * DAY + 1000);
  const gone = await h.request('GET', `/v1/clusters/${id}`, { token: key });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.code, 'cluster_not_found');
  assert.deepEqual(await listed(), { own: [], admin: [] });
});

test('an idempotency record past its retention no longer replays or blocks its key', async () => {
  const { key } = await h.createTenant('pro', 'Idem Co');
  const post = (name: string) =>
    h.request('POST', '/v1/api-keys', { token: key, headers: { 'idempotency-key': 'k-1' }, body: { name, scopes: ['clusters:read'] } });
  assert.equal((await post('first')).status, 201);
  clock.advance(DAY - 60_000);
  assert.equal((await post('second')).body.code, 'idempotency_key_reused', 'within a day the key is taken');
  clock.advance(120_000);
  const fresh = await post('second');
  assert.equal(fresh.status, 201);
  assert.equal(fresh.headers['idempotency-replayed'], undefined);
  assert.equal(fresh.body.name, 'second');
});
