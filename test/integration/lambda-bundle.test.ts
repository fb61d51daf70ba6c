import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildLambdaAsset } from '../../infra/cdk/bundle';
import { freePort } from '../../infra/local/free-port';
import { apiGatewayEvent } from '../helpers/api-gateway';
import { eventually, singleRegionCluster, startHarness } from '../helpers/harness';
import { startIdpStandIn } from '../helpers/idp';

// The deployment package as CDK ships it (bundle + the packages left beside it), run by plain
// Node outside the checkout: what works under tsx must work there too (module interop, files).
const ROOT = path.resolve(import.meta.dirname, '../..');

const RUNNER = `
const { handler } = await import('./index.mjs');
const events = JSON.parse(process.argv[2]);
for (const e of events) {
  const r = await handler(e, { awsRequestId: 'test' });
  console.log(JSON.stringify({ path: e.rawPath, status: r.statusCode, type: (r.headers || {})['content-type'], body: String(r.body ?? '').slice(0, 4000) }));
}
process.exit(0);
`;

test('the bundled Lambda package serves customers, admins, the docs and the queue console, and forwards topic changes', async (t) => {
  const port = await freePort();
  const h = await startHarness({ env: { HM_ADVERTISED_ADDRESS: `http://127.0.0.1:${port}` } });
  t.after(() => h.close());
  const nodeUrl = await h.listen(port);
  const dir = buildLambdaAsset(path.join(ROOT, '.build', 'lambda-bundle-test'));
  writeFileSync(path.join(dir, 'runner.mjs'), RUNNER);
  const { key } = await h.createTenant('pro', 'Bundle Co');
  // Production takes admin tokens from the vendor IdP only, its JWKS over TLS.
  const idp = await startIdpStandIn();
  t.after(() => idp.close());
  const admin = await idp.mint(['admin']);
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    HM_ADMIN_JWKS_URL: idp.jwksUrl,
    HM_ADMIN_ISSUER: idp.issuer,
    NODE_EXTRA_CA_CERTS: idp.caFile,
    DYNAMODB_ENDPOINT: h.engines.dynamoEndpoint,
    HM_TABLE_PREFIX: h.config.tablePrefix,
    REDIS_URL: h.engines.redisUrl,
    HM_QUEUE_PREFIX: h.config.queuePrefix,
    HM_DATA_DIR: h.config.dataDir,
    HM_API_KEY_PEPPER: 'test-pepper-'.padEnd(40, 'x'),
    HM_AGENT_PLANE_URL: nodeUrl,
  };
  const run = (events: unknown[]) =>
    new Promise<{ path: string; status: number; type: string; body: string }[]>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(dir, 'runner.mjs'), JSON.stringify(events)], { cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))) : reject(new Error(err))));
    });
  const auth = (token: string, extra: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...extra } });

  const [created] = await run([apiGatewayEvent('POST', '/v1/clusters', { ...auth(key), body: singleRegionCluster('bundled') })]);
  assert.equal(created.status, 202, created.body);
  const clusterId = JSON.parse(created.body).id;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready');
  const answers = await run([
    apiGatewayEvent('POST', `/v1/clusters/${clusterId}/topics`, { ...auth(key), body: { name: 'events', partitions: 2 } }),
    apiGatewayEvent('GET', '/docs', { headers: { accept: 'text/html' } }),
    apiGatewayEvent('GET', '/docs/json'),
    apiGatewayEvent('GET', '/admin/queues/ui/api/queues', auth(admin)),
    apiGatewayEvent('GET', '/admin/v1/queues', auth(admin)),
    apiGatewayEvent('GET', `/v1/usage?from=2026-11-01&to=2026-11-02`, auth(key)),
  ]);
  assert.deepEqual(answers.map((a) => [a.path, a.status]), [
    [`/v1/clusters/${clusterId}/topics`, 201],
    ['/docs', 200],
    ['/docs/json', 200],
    ['/admin/queues/ui/api/queues', 200],
    ['/admin/v1/queues', 200],
    ['/v1/usage', 200],
  ]);
  assert.equal(JSON.parse(answers[0].body).partitions, 2);
  assert.match(answers[1].type, /text\/html/);
  assert.ok(JSON.parse(answers[3].body).queues.some((q: { name: string }) => q.name === 'lifecycle'));
  assert.equal((await h.request('GET', `/v1/clusters/${clusterId}/topics/events`, { token: key })).status, 200, 'the leader applied it');
});
