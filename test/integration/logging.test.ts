import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

const lines: Record<string, unknown>[] = [];
let h: Harness;

before(async () => {
  h = await startHarness({ logLines: lines });
});
after(() => h.close());

test('request logs carry the request id and never a secret or a token', async () => {
  const admin = await h.adminToken();
  const { key } = await h.createTenant('pro', 'Logs Co');
  const created = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'ci', scopes: ['clusters:read'] }, headers: { 'x-request-id': 'trace-logs-1' } });
  assert.equal(created.status, 201, created.text);
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('logs') });
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  const ak = await h.request('POST', `/v1/clusters/${c.body.id}/agent-keys`, { token: key, body: { name: 'a', access: 'read-write' } });
  const tok = await h.request('POST', '/agent/v1/token', { token: ak.body.secret });
  assert.equal(tok.status, 200, tok.text);
  const agentToken = tok.body.accessToken as string;
  const base = `/agent/v1/clusters/${c.body.id}/agents`;
  const reg = await h.request('POST', base, { token: agentToken, body: { agentId: 'log-1', version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] } });
  assert.equal(reg.status, 200, reg.text);
  for (let i = 0; i < 5; i++) assert.equal((await h.request('POST', `${base}/log-1/heartbeat`, { token: agentToken, body: { stats: {} } })).status, 200);
  assert.equal((await h.request('GET', '/v1/tenant', { token: 'hm_sk_bogus-not-a-key' })).status, 401);
  assert.equal((await h.request('GET', '/admin/v1/tenants', { token: admin })).status, 200, 'the admin token is used too');

  await eventually(async () => lines.some((l) => l.msg === 'request completed' && l.reqId === 'trace-logs-1'));
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  for (const secret of [key, created.body.secret, ak.body.secret, agentToken, admin, 'hm_sk_bogus-not-a-key']) {
    assert.ok(!text.includes(secret), `a log line holds a credential (${secret.slice(0, 8)}…)`);
  }
  const completed = lines.filter((l) => l.msg === 'request completed');
  assert.ok(completed.every((l) => typeof l.reqId === 'string' && l.reqId !== ''), 'every request line names its request');
  // Heartbeats log at warn: a fleet's beats do not flood the log.
  assert.ok(!lines.some((l) => JSON.stringify(l).includes('/heartbeat')), 'heartbeats are not logged at info');
  assert.ok(lines.some((l) => l.msg === 'incoming request' && (l.req as { url?: string }).url === base), 'registration is');
});
