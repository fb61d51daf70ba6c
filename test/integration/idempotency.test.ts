import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY_SCOPES } from '../../services/credentials/scopes';
import { singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
before(async () => {
  h = await startHarness({ workers: false });
});
after(() => h.close());

/** Every stored idempotency record of a partition, as the raw items the store holds. */
async function idempotencyItems(pk: string) {
  const out: Record<string, unknown>[] = [];
  for await (const it of h.runtime.db.queryAll<Record<string, unknown>>({
    table: h.runtime.tables.control,
    keyCondition: 'pk = :pk AND begins_with(sk, :p)',
    values: { ':pk': pk, ':p': 'IDEM#' },
  })) out.push(it);
  return out;
}

async function auditOf(key: string, action: string) {
  const res = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
  return (res.body.items as { action: string; principal: { id: string }; target: { id: string }; replay?: boolean; result: string }[]).filter((e) => e.action === action);
}

test('issue 8 #0: a narrower key repeating a broader key\'s Idempotency-Key gets no replay and no secret', async () => {
  const t = await h.createTenant('pro', 'Escalation');
  const narrow = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'narrow', scopes: ['keys:write'] } });
  assert.equal(narrow.status, 201);
  const body = { name: 'full', scopes: [...API_KEY_SCOPES] };
  const headers = { 'idempotency-key': 'mint-full-1' };
  const first = await h.request('POST', '/v1/api-keys', { token: t.key, headers, body });
  assert.equal(first.status, 201);

  // The reproduction: the same header and body from the narrow key.
  const stolen = await h.request('POST', '/v1/api-keys', { token: narrow.body.secret, headers, body });
  assert.equal(stolen.status, 403, stolen.text);
  assert.equal(stolen.body.code, 'scope_escalation');
  assert.equal(stolen.headers['idempotency-replayed'], undefined);
  assert.ok(!stolen.text.includes(first.body.secret), 'the broader secret never reaches the narrow key');

  // A key allowed to mint that body runs its own request: a new key, never the first one's secret.
  const peer = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'peer', scopes: ['keys:write', 'keys:read'] } });
  const peerRun = await h.request('POST', '/v1/api-keys', { token: peer.body.secret, headers, body: { name: 'mine', scopes: ['keys:read'] } });
  assert.equal(peerRun.status, 201);
  assert.equal(peerRun.headers['idempotency-replayed'], undefined);
  assert.notEqual(peerRun.body.id, first.body.id);

  // The credential that made the first request gets its answer again, and the replay is audited.
  const again = await h.request('POST', '/v1/api-keys', { token: t.key, headers, body });
  assert.equal(again.status, 201);
  assert.equal(again.headers['idempotency-replayed'], 'true');
  assert.equal(again.body.secret, first.body.secret);
  const events = await auditOf(t.key, 'api_key.create');
  const replays = events.filter((e) => e.replay === true);
  assert.equal(replays.length, 1, 'one audit event for the one replay');
  assert.equal(replays[0].target.id, first.body.id);
  assert.equal(replays[0].result, 'success');
  const refused = events.find((e) => e.result === 'failure' && e.principal.id === narrow.body.id);
  assert.ok(refused, 'the refused attempt is audited as a failure');
});

test('issue 8 #0: no readable secret rests in an idempotency record, and a record cannot be moved to another credential', async () => {
  const t = await h.createTenant('pro', 'Sealed');
  const headers = { 'idempotency-key': 'sealed-1' };
  const key = await h.request('POST', '/v1/api-keys', { token: t.key, headers, body: { name: 'ci', scopes: ['clusters:read'] } });
  const cluster = await h.request('POST', '/v1/clusters', { token: t.key, body: singleRegionCluster('sealed') });
  const agentKey = await h.request('POST', `/v1/clusters/${cluster.body.id}/agent-keys`, { token: t.key, headers, body: { name: 'a', access: 'read-write' } });
  assert.equal(agentKey.status, 201, agentKey.text);
  const items = await idempotencyItems(`T#${t.tenant.id}`);
  assert.equal(items.length, 2);
  for (const it of items) {
    const raw = JSON.stringify(it);
    assert.ok(!raw.includes(key.body.secret) && !raw.includes(agentKey.body.secret), 'no secret in the stored record');
    assert.ok(!raw.includes('hm_sk_') && !raw.includes('hm_ak_'), 'not even a secret prefix');
  }
  // Both replay to their own credential.
  const k2 = await h.request('POST', '/v1/api-keys', { token: t.key, headers, body: { name: 'ci', scopes: ['clusters:read'] } });
  assert.equal(k2.body.secret, key.body.secret);
  const a2 = await h.request('POST', `/v1/clusters/${cluster.body.id}/agent-keys`, { token: t.key, headers, body: { name: 'a', access: 'read-write' } });
  assert.equal(a2.body.secret, agentKey.body.secret);

  // Someone with write access to the store copies the sealed record under another key's id:
  // the seal is bound to the credential, so the copy replays nothing.
  const other = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'other', scopes: ['keys:write', 'clusters:read'] } });
  const original = items.find((it) => String(it.sk).includes('POST /v1/api-keys'))!;
  const forged = { ...original, sk: String(original.sk).replace(t.key.split('_')[2], other.body.id.slice(4)) };
  assert.notEqual(forged.sk, original.sk);
  await h.runtime.db.put(h.runtime.tables.control, forged);
  const moved = await h.request('POST', '/v1/api-keys', { token: other.body.secret, headers, body: { name: 'ci', scopes: ['clusters:read'] } });
  assert.ok(!moved.text.includes(key.body.secret), 'the moved record reveals nothing');
  assert.equal(moved.status, 409, moved.text);
  assert.equal(moved.body.code, 'idempotency_replay_unavailable');
});

test('issue 8 #0: every idempotent route replays only to its own credential', async () => {
  const t = await h.createTenant('pro', 'Routes');
  const k2 = (await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'twin', scopes: [...API_KEY_SCOPES] } })).body.secret as string;
  const headers = { 'idempotency-key': 'same-key' };
  const c1 = await h.request('POST', '/v1/clusters', { token: t.key, headers, body: singleRegionCluster('one') });
  const c2 = await h.request('POST', '/v1/clusters', { token: k2, headers, body: singleRegionCluster('one') });
  assert.equal(c1.status, 202);
  assert.equal(c2.headers['idempotency-replayed'], undefined, 'not a replay of the other key\'s cluster');
  assert.equal(c2.status, 409, c2.text);
  assert.equal(c2.body.code, 'cluster_name_taken');
  const c1again = await h.request('POST', '/v1/clusters', { token: t.key, headers, body: singleRegionCluster('one') });
  assert.equal(c1again.headers['idempotency-replayed'], 'true');
  assert.equal(c1again.headers.location, `/v1/clusters/${c1.body.id}`);

  const ak1 = await h.request('POST', `/v1/clusters/${c1.body.id}/agent-keys`, { token: t.key, headers, body: { name: 'a', access: 'read-write' } });
  const ak2 = await h.request('POST', `/v1/clusters/${c1.body.id}/agent-keys`, { token: k2, headers, body: { name: 'a', access: 'read-write' } });
  assert.equal(ak2.status, 201);
  assert.equal(ak2.headers['idempotency-replayed'], undefined);
  assert.notEqual(ak2.body.secret, ak1.body.secret);

  assert.equal(await h.runtime.lifecycle.provision(t.tenant.id, c1.body.id), 'ready');
  const tp1 = await h.request('POST', `/v1/clusters/${c1.body.id}/topics`, { token: t.key, headers, body: { name: 'orders', partitions: 1 } });
  assert.equal(tp1.status, 201, tp1.text);
  const tp2 = await h.request('POST', `/v1/clusters/${c1.body.id}/topics`, { token: k2, headers, body: { name: 'orders', partitions: 1 } });
  assert.equal(tp2.headers['idempotency-replayed'], undefined);
  assert.equal(tp2.status, 409, tp2.text);

  // Admin: the tenant's first API key is replayed to the same subject only; a viewer is refused first.
  const alice = await h.adminToken(['admin'], 'alice');
  const bob = await h.adminToken(['admin'], 'bob');
  const viewer = await h.adminToken(['viewer'], 'alice');
  const body = { name: 'Replayed Co', tier: 'dev' };
  const first = await h.request('POST', '/admin/v1/tenants', { token: alice, headers, body });
  assert.equal(first.status, 201);
  const asViewer = await h.request('POST', '/admin/v1/tenants', { token: viewer, headers, body });
  assert.equal(asViewer.status, 403);
  assert.equal(asViewer.body.code, 'insufficient_role');
  const asBob = await h.request('POST', '/admin/v1/tenants', { token: bob, headers, body });
  assert.equal(asBob.status, 201);
  assert.equal(asBob.headers['idempotency-replayed'], undefined);
  assert.notEqual(asBob.body.apiKey.secret, first.body.apiKey.secret);
  const asAlice = await h.request('POST', '/admin/v1/tenants', { token: alice, headers, body });
  assert.equal(asAlice.headers['idempotency-replayed'], 'true');
  assert.equal(asAlice.body.apiKey.secret, first.body.apiKey.secret);
  for (const it of await idempotencyItems('ADMIN#alice')) assert.ok(!JSON.stringify(it).includes('hm_sk_'), 'no secret in the admin record');
  const audit = await h.request('GET', '/admin/v1/audit-events?limit=100', { token: alice });
  const replayed = (audit.body.items as { action: string; replay?: boolean; target: { id: string }; principal: { id: string } }[]).filter(
    (e) => e.action === 'tenant.create' && e.replay === true,
  );
  assert.equal(replayed.length, 1);
  assert.equal(replayed[0].target.id, first.body.tenant.id);
  assert.equal(replayed[0].principal.id, 'alice');
});
