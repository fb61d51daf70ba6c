import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenCli, http, startServerProcess } from '../helpers/server-process';
import { eventually, singleRegionCluster } from '../helpers/harness';

test('npm start: embedded engines, admin-token CLI, graceful Ctrl-C, data survives a restart, no secrets in logs', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-e2e-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { HM_DATA_DIR: dataDir };
  // The CLI works before the server has ever run; the server then accepts its token.
  const cli = adminTokenCli(env);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal((statSync(path.join(dataDir, 'keys', 'admin-issuer.jwk.json')).mode & 0o777).toString(8), '600');

  const s1 = await startServerProcess(env);
  // One human line once it listens: where it is, the docs, how to get an admin token.
  await eventually(async () => s1.output().includes('Harbormaster is up at'));
  assert.match(s1.output(), new RegExp(`Harbormaster is up at ${s1.url}  ·  API docs: ${s1.url}/docs  ·  admin token: npm run -s admin-token`));
  const created = await http(`${s1.url}/admin/v1/tenants`, 'POST', cli.token, { name: 'Acme', tier: 'pro' });
  assert.equal(created.status, 201);
  const key = created.body.apiKey.secret as string;
  const cluster = await http(`${s1.url}/v1/clusters`, 'POST', key, singleRegionCluster('orders'));
  assert.equal(cluster.status, 202);
  await eventually(async () => (await http(`${s1.url}/v1/clusters/${cluster.body.id}`, 'GET', key)).body.status === 'ready', 15_000);
  // A token minted while the server runs works too.
  assert.equal((await http(`${s1.url}/admin/v1/tenants`, 'GET', adminTokenCli(env).token)).status, 200);

  assert.equal(await s1.stop('SIGINT'), 0, 'Ctrl-C exits cleanly');
  assert.match(s1.output(), /shutting down/);
  assert.match(s1.output(), /"msg":"stopped"/);
  for (const secret of [key, cli.token]) assert.ok(!s1.output().includes(secret), 'logs never hold a secret or token');

  const s2 = await startServerProcess(env);
  try {
    const again = await http(`${s2.url}/v1/clusters/${cluster.body.id}`, 'GET', key);
    assert.equal(again.status, 200, 'the API key and the cluster survived the restart');
    assert.equal(again.body.status, 'ready');
  } finally {
    assert.equal(await s2.stop('SIGTERM'), 0);
  }
});

test('start-up refusals: a bad setting and a missing redis-server each stop the process with a clear message', async () => {
  const { spawnSync } = await import('node:child_process');
  const root = path.resolve(import.meta.dirname, '../..');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'infra/server.ts'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 90_000 });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-refuse-'));
  try {
    const badPort = run({ PORT: 'eighty', HM_DATA_DIR: dataDir });
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /configuration error: PORT=eighty is not a whole number/);
    // A PATH without redis-server (node itself is run by absolute path).
    const noRedis = run({ PATH: '/nonexistent', HM_DATA_DIR: dataDir, PORT: '0' });
    assert.equal(noRedis.status, 1);
    assert.match(noRedis.stderr, /redis-server was not found on PATH.*apt-get install -y redis-server/s);
    // A busy port: a sentence saying to set PORT, no stack trace, and nothing left running.
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as { port: number }).port;
    try {
      const busy = run({ PORT: String(port), HM_DATA_DIR: dataDir });
      assert.equal(busy.status, 1, busy.stderr);
      assert.match(busy.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use.*set PORT to a free one`));
      assert.doesNotMatch(busy.stderr + busy.stdout, /\n\s+at /, 'no stack trace');
    } finally {
      squatter.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
