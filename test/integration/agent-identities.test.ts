import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const ACCOUNT = '123456789012';
const rule = (extra: Record<string, unknown> = {}) => ({ provider: 'aws', accountId: ACCOUNT, roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/warp-agents-*`, access: 'read-write', ...extra });

async function readyCluster(key: string, name: string) {
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name) });
  assert.equal(c.status, 202, c.text);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  return c.body.id as string;
}

test('trust rules: create, list, delete; audited; idempotent create', async () => {
  const { key } = await h.createTenant('pro', 'Trust Co');
  const clusterId = await readyCluster(key, 'trust');
  const path = `/v1/clusters/${clusterId}/agent-identities`;
  const created = await h.request('POST', path, { token: key, body: rule({ expiresAt: new Date(Date.now() + 86_400_000).toISOString() }), headers: { 'idempotency-key': 'r-1' } });
  assert.equal(created.status, 201, created.text);
  assert.match(created.body.id, /^aid_/);
  assert.equal(created.body.status, 'active');
  assert.equal(created.body.roleArnPattern, `arn:aws:iam::${ACCOUNT}:role/warp-agents-*`);
  const again = await h.request('POST', path, { token: key, body: rule({ expiresAt: created.body.expiresAt }), headers: { 'idempotency-key': 'r-1' } });
  assert.equal(again.body.id, created.body.id, 'a retried create replays the first answer');
  const ro = await h.request('POST', path, { token: key, body: rule({ roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/readers-??`, access: 'read-only' }) });
  assert.equal(ro.status, 201);

  const list = await h.request('GET', `${path}?limit=1`, { token: key });
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 1);
  const rest = await h.request('GET', `${path}?cursor=${encodeURIComponent(list.body.nextCursor)}`, { token: key });
  assert.deepEqual([...list.body.items, ...rest.body.items].map((r: { id: string }) => r.id).sort(), [created.body.id, ro.body.id].sort());

  const del = await h.request('DELETE', `${path}/${ro.body.id}`, { token: key });
  assert.equal(del.status, 200);
  assert.equal(del.body.id, ro.body.id);
  const gone = await h.request('DELETE', `${path}/${ro.body.id}`, { token: key });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.code, 'agent_identity_not_found');

  const audit = await h.request('GET', '/v1/audit-events?limit=50', { token: key });
  const actions = audit.body.items.map((e: { action: string; result: string }) => `${e.action}:${e.result}`);
  assert.ok(actions.includes('agent_identity.create:success'));
  assert.ok(actions.includes('agent_identity.delete:success'));
  assert.ok(actions.includes('agent_identity.delete:failure'));
});

test('trust rules: bad patterns, accounts and expiries are 400s with their own codes', async () => {
  const { key } = await h.createTenant('pro', 'Pattern Co');
  const clusterId = await readyCluster(key, 'patterns');
  const path = `/v1/clusters/${clusterId}/agent-identities`;
  const cases: [Record<string, unknown>, string][] = [
    [{ roleArnPattern: `arn:aws:iam::${ACCOUNT}:user/warp` }, 'invalid_role_pattern'],
    [{ roleArnPattern: `arn:aws:sts::${ACCOUNT}:assumed-role/warp/x` }, 'invalid_role_pattern'],
    [{ roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/team-a/warp-*` }, 'role_path_not_supported'],
    [{ roleArnPattern: 'arn:aws:iam::999999999999:role/warp-*' }, 'account_mismatch'],
    [{ accountId: '12345' }, 'invalid_body'],
    [{ provider: 'gcp' }, 'invalid_body'],
    [{ access: 'admin' }, 'invalid_body'],
    [{ expiresAt: '2001-01-01T00:00:00Z' }, 'invalid_expiry'],
    [{ extra: 1 }, 'unknown_field'],
  ];
  for (const [patch, code] of cases) {
    const res = await h.request('POST', path, { token: key, body: rule(patch) });
    assert.equal(res.status, 400, `${JSON.stringify(patch)}: ${res.text}`);
    assert.equal(res.body.code, code, JSON.stringify(patch));
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  }
});

test('trust rules: scopes, other tenants\' clusters, deleted clusters and the per-cluster limit', async () => {
  const a = await h.createTenant('pro', 'Owner Co');
  const b = await h.createTenant('pro', 'Other Co');
  const clusterId = await readyCluster(a.key, 'owned');
  const path = `/v1/clusters/${clusterId}/agent-identities`;
  assert.equal((await h.request('GET', path, { token: b.key })).body.code, 'cluster_not_found');
  assert.equal((await h.request('POST', path, { token: b.key, body: rule() })).status, 404);
  const readOnly = await h.request('POST', '/v1/api-keys', { token: a.key, body: { name: 'ro', scopes: ['agent-identities:read'] } });
  assert.equal((await h.request('GET', path, { token: readOnly.body.secret })).status, 200);
  const refused = await h.request('POST', path, { token: readOnly.body.secret, body: rule() });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'insufficient_scope');
  const mine = await h.request('POST', path, { token: a.key, body: rule() });
  assert.equal((await h.request('DELETE', `${path}/${mine.body.id}`, { token: b.key })).status, 404, 'another tenant cannot delete it');

  for (let i = 1; i < 20; i++) assert.equal((await h.request('POST', path, { token: a.key, body: rule() })).status, 201);
  const over = await h.request('POST', path, { token: a.key, body: rule() });
  assert.equal(over.status, 409);
  assert.equal(over.body.code, 'trust_rule_limit_reached');

  assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}`, { token: a.key })).status, 202);
  const late = await h.request('POST', path, { token: a.key, body: rule() });
  assert.equal(late.status, 409);
  assert.equal(late.body.code, 'cluster_deleting');
});
