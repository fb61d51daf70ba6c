import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { testBull } from '../helpers/redis';

let h: Harness;
before(async () => {
  h = await startHarness({ workers: false });
});
after(() => h.close());

const BOARD = '/admin/queues/ui';

test('bull-board: admins only (viewers refused), browsers sent to the login form, programs get problems', async () => {
  const page = await h.request('GET', `${BOARD}/`, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 303);
  assert.equal(page.headers.location, `${BOARD}/login`);
  const api = await h.request('GET', `${BOARD}/api/queues`);
  assert.equal(api.status, 401);
  assert.equal(api.body.code, 'missing_credentials');
  const viewer = await h.request('GET', `${BOARD}/api/queues`, { token: await h.adminToken(['viewer']) });
  assert.equal(viewer.status, 403);
  assert.equal(viewer.body.code, 'insufficient_role');
  const key = (await h.createTenant()).key;
  assert.equal((await h.request('GET', `${BOARD}/api/queues`, { token: key })).status, 401, 'an API key is no admin token');

  const admin = await h.adminToken(['admin']);
  const ui = await h.request('GET', `${BOARD}/`, { token: admin, headers: { accept: 'text/html' } });
  assert.equal(ui.status, 200);
  assert.match(String(ui.headers['content-type']), /text\/html/);
  assert.match(ui.text, /Harbormaster/);
});

test('bull-board lists every queue, including ones that appear later (per-cluster job queues)', async () => {
  const admin = await h.adminToken(['admin']);
  const names = async () => ((await h.request('GET', `${BOARD}/api/queues`, { token: admin })).body.queues as { name: string }[]).map((q) => q.name);
  const first = await names();
  assert.ok(first.includes('lifecycle') && first.includes('maintenance'), first.join(','));
  const bull = testBull(h.engines.redisUrl, h.config.redisCluster, h.config.queuePrefix);
  const perCluster = new Queue('agent-jobs-vci_01jd4v7m2q8x3k5n6p7r8s9t0a', { connection: bull.connection, prefix: bull.keys.prefix('agent-jobs-vci_01jd4v7m2q8x3k5n6p7r8s9t0a') });
  try {
    await perCluster.add('compaction', { files: [] });
    await eventually(async () => (await names()).includes('agent-jobs-vci_01jd4v7m2q8x3k5n6p7r8s9t0a'), 15_000, 250);
  } finally {
    await perCluster.close();
    bull.close();
  }
});

test('the login form sets an HttpOnly, SameSite=Strict cookie scoped to the console; bad or viewer tokens are refused', async () => {
  const form = await h.request('GET', `${BOARD}/login`);
  assert.equal(form.status, 200);
  assert.match(form.text, /<form method="post"/);
  const post = (token: string) => h.app.inject({ method: 'POST', url: `${BOARD}/login`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ token }).toString() });
  const bad = await post('not-a-token');
  assert.equal(bad.statusCode, 401);
  assert.match(bad.body, /class="err"/);
  assert.equal((await post(await h.adminToken(['viewer']))).statusCode, 403);
  const ok = await post(await h.adminToken(['admin']));
  assert.equal(ok.statusCode, 303);
  const cookie = String(ok.headers['set-cookie']);
  assert.match(cookie, /^hm_admin=ey[^;]+; Path=\/admin\/queues\/ui; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  const withCookie = await h.request('GET', `${BOARD}/api/queues`, { headers: { cookie: cookie.split(';')[0] } });
  assert.equal(withCookie.status, 200);
});
