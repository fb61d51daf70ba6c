import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { freePort } from '../../infra/local/free-port';
import { main } from '../../infra/cli/hm';

/**
 * The `hm` CLI as a user runs it, against the whole control plane listening on a real port.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let h: Harness;
let url: string;
let dir: string;

before(async () => {
  h = await startHarness();
  url = await h.listen();
  dir = mkdtempSync(path.join(os.tmpdir(), 'hm-cli-'));
});
after(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run { code: number; stdout: string; stderr: string }
/**
 * Runs `hm` in this process (its `main`, with this test's environment and standard input):
 * one child process per command would cost seconds each on a loaded machine. The last test
 * runs the real bin as a child process, for its exit codes.
 */
async function hm(args: string[], o: { config: string; env?: Record<string, string>; stdin?: string }): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { HOME: dir, HM_CONFIG: o.config, HM_URL: url, ...o.env }, {
    out: (s) => void (stdout += s),
    err: (s) => void (stderr += s),
    stdin: async () => o.stdin ?? '',
  });
  return { code, stdout, stderr };
}
function hmProcess(args: string[], o: { config: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      path.join(ROOT, 'infra/cli/hm.mjs'),
      args,
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: dir, HM_CONFIG: o.config, HM_URL: url, ...o.env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin!.end();
  });
}
const noStack = (r: Run) => assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

test('hm: --help everywhere, usage mistakes exit 2, missing credentials exit 3', { timeout: 300_000 }, async () => {
  const config = path.join(dir, 'none.json');
  const help = await hm(['--help'], { config });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: hm <command>/);
  assert.match(help.stdout, /agent-keys/);
  const verbs = await hm(['topics', '--help'], { config });
  assert.equal(verbs.code, 0);
  assert.match(verbs.stdout, /hm topics create <topic> --cluster <clusterId> --partitions N/);
  const one = await hm(['clusters', 'create', '--help'], { config });
  assert.equal(one.code, 0);
  assert.match(one.stdout, /^Usage: hm clusters create --name NAME/);

  for (const args of [['frobnicate'], ['clusters', 'frob'], ['clusters', 'ls', '--bogus'], ['topics', 'ls']]) {
    const r = await hm(args, { config, env: { HM_API_KEY: 'hm_sk_x' } });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    noStack(r);
  }
  const missing = await hm(['topics', 'ls'], { config, env: { HM_API_KEY: 'hm_sk_x' } });
  assert.match(missing.stderr, /missing --cluster/);
  assert.match(missing.stderr, /Usage: hm topics ls --cluster/);

  const anon = await hm(['clusters', 'ls'], { config });
  assert.equal(anon.code, 3);
  assert.match(anon.stderr, /no API key: run `hm login/);
});

test('hm: login checks the key and stores it 0600; resources as tables, --json, problem details with exit 1', { timeout: 300_000 }, async () => {
  const config = path.join(dir, 'nested', 'customer.json');
  const { key, tenant } = await h.createTenant('pro', 'Cli Corp');

  const bad = await hm(['login', '--api-key', `${key.slice(0, -4)}AAAA`], { config });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /\(invalid_credentials\) \[HTTP 401/);
  assert.ok(!existsSync(config), 'a refused key is not stored');

  const login = await hm(['login', '--api-key', '-'], { config, stdin: `${key}\n` });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, new RegExp(`Logged in to ${url} as tenant Cli Corp \\(${tenant.id}\\)`));
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')), { url, apiKey: key });
  const who = await hm(['whoami'], { config });
  assert.match(who.stdout, /API key:\s+stored/);
  assert.ok(!who.stdout.includes(key), 'whoami never prints the secret');

  const created = await hm(['clusters', 'create', '--name', 'cli-events', '--region', 'us-east-1', '--bucket', 'us-east-1=s3://acme-cli/data', '--json'], { config, env: { HM_URL: '' } });
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse(created.stdout);
  assert.match(cluster.id, /^vci_/);
  assert.equal(cluster.status, 'provisioning');

  const ls = await hm(['clusters', 'ls'], { config });
  assert.equal(ls.code, 0, ls.stderr);
  const [header, row] = ls.stdout.split('\n');
  assert.match(header, /^ID\s+NAME\s+TIER\s+STATUS\s+REGIONS\s+CREATED$/);
  assert.match(row, new RegExp(`^${cluster.id}\\s+cli-events\\s+pro\\s+(provisioning|ready)\\s+us-east-1\\s`));

  const gone = await hm(['clusters', 'get', 'vci_01jd4v7m2q8x3k5n6p7r8s9t0a'], { config });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /^hm: Cluster vci_01jd4v7m2q8x3k5n6p7r8s9t0a does not exist\. \(cluster_not_found\) \[HTTP 404, request req_/);
  noStack(gone);
  const invalid = await hm(['clusters', 'create', '--name', 'X', '--region', 'us-east-1', '--bucket', 'us-east-1=s3://acme-cli/data'], { config });
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /name: must match pattern .*\(invalid_body\) \[HTTP 400/);

  await eventually(async () => (await h.request('GET', `/v1/clusters/${cluster.id}`, { token: key })).body.status === 'ready', 60_000, 200);

  const topic = await hm(['topics', 'create', 'orders', '--cluster', cluster.id, '--partitions', '3', '--config', 'retention.ms=3600000'], { config });
  assert.equal(topic.code, 0, topic.stderr);
  assert.match(topic.stdout, /^name:\s+orders$/m);
  const topics = await hm(['topics', 'ls', '--cluster', cluster.id], { config });
  assert.match(topics.stdout, /^orders\s+3\s+3600000\s/m);
  const described = await hm(['topics', 'get', 'orders', '--cluster', cluster.id], { config });
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /PARTITION\s+LOG START\s+HIGH WATERMARK\s+BYTES/);
  const dup = await hm(['topics', 'create', 'orders', '--cluster', cluster.id, '--partitions', '3'], { config });
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /\(topic_exists\) \[HTTP 409/);

  const akey = await hm(['agent-keys', 'create', '--cluster', cluster.id, '--name', 'use1', '--access', 'read-only'], { config });
  assert.equal(akey.code, 0, akey.stderr);
  const secret = /^(hm_ak_\S+)$/m.exec(akey.stdout)?.[1];
  assert.ok(secret, `the secret is shown once: ${akey.stdout}`);
  const keyId = /^id:\s+(akn_\S+)$/m.exec(akey.stdout)![1];
  const keys = await hm(['agent-keys', 'ls', '--cluster', cluster.id], { config });
  assert.match(keys.stdout, new RegExp(`^${keyId}\\s+use1\\s+read-only\\s+active\\s`, 'm'));
  assert.ok(!keys.stdout.includes(secret), 'listings never show the secret');
  const revoked = await hm(['agent-keys', 'delete', keyId, '--cluster', cluster.id, '--json'], { config });
  assert.equal(JSON.parse(revoked.stdout).status, 'revoked');

  const agents = await hm(['agents', 'ls', '--cluster', cluster.id], { config });
  assert.equal(agents.code, 0, agents.stderr);
  assert.match(agents.stdout, /^AGENT\s+STATE\s+VERSION\s+ZONE\s+ROLES\s+LAST BEAT\n\(none\)$/m);

  const jobs = await hm(['jobs', 'ls', '--cluster', cluster.id], { config });
  assert.equal(jobs.code, 0, jobs.stderr);
  assert.match(jobs.stdout, /^ID\s+TYPE\s+STATE\s+ATTEMPTS\s+AGENT\s+CREATED\s+ERROR\n\(none\)$/m);
  const badState = await hm(['jobs', 'ls', '--cluster', cluster.id, '--state', 'sleeping'], { config });
  assert.equal(badState.code, 1);
  assert.match(badState.stderr, /\(invalid_query\)/);
  noStack(badState);

  const usage = await hm(['usage', 'ls', '--from', '2026-11-01', '--to', '2026-11-02', '--json'], { config });
  assert.equal(usage.code, 0, usage.stderr);
  assert.deepEqual(JSON.parse(usage.stdout).items, []);
  const range = await hm(['usage', 'ls', '--from', '2026-11-02', '--to', '2026-11-01'], { config });
  assert.equal(range.code, 1);
  assert.match(range.stderr, /\(invalid_range\)/);

  const deleted = await hm(['topics', 'delete', 'orders', '--cluster', cluster.id], { config });
  assert.equal(deleted.code, 0, deleted.stderr);

  const logout = await hm(['logout'], { config });
  assert.equal(logout.code, 0);
  assert.ok(!existsSync(config));
});

test('hm: an admin token manages tenants; an unreachable server exits 4', { timeout: 300_000 }, async () => {
  const config = path.join(dir, 'admin.json');
  const token = await h.adminToken();
  const login = await hm(['login', '--admin-token', '-'], { config, stdin: token });
  assert.equal(login.code, 0, login.stderr);
  assert.equal(statSync(config).mode & 0o777, 0o600);

  const created = await hm(['tenants', 'create', '--name', 'Admin Made', '--tier', 'dev'], { config });
  assert.equal(created.code, 0, created.stderr);
  const tenantId = /^id:\s+(tnt_\S+)$/m.exec(created.stdout)![1];
  assert.match(created.stdout, /First API key \(shown once; store it now\):\nhm_sk_\S+\n$/);
  const ls = await hm(['tenants', 'ls', '--limit', '100'], { config });
  assert.match(ls.stdout, new RegExp(`^${tenantId}\\s+Admin Made\\s+dev\\s+active\\s+0\\s`, 'm'));
  const suspended = await hm(['tenants', 'suspend', tenantId, '--json'], { config });
  assert.equal(JSON.parse(suspended.stdout).status, 'suspended');
  const reactivated = await hm(['tenants', 'reactivate', tenantId], { config });
  assert.match(reactivated.stdout, /^status:\s+active$/m);
  const clusters = await hm(['clusters', 'ls'], { config });
  assert.equal(clusters.code, 0, clusters.stderr);
  assert.match(clusters.stdout.split('\n')[0], /^TENANT\s+ID\s+NAME/);

  const port = await freePort();
  const down = await hm(['tenants', 'ls'], { config, env: { HM_URL: `http://127.0.0.1:${port}` } });
  assert.equal(down.code, 4);
  assert.match(down.stderr, /cannot reach the server \(ECONNREFUSED\)/);
  noStack(down);
});

test('hm: the bin as a child process exits with the documented codes', { timeout: 300_000 }, async () => {
  const config = path.join(dir, 'bin.json');
  const help = await hmProcess(['--help'], { config });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: hm <command>/);
  const refused = await hmProcess(['clusters', 'get', 'vci_01jd4v7m2q8x3k5n6p7r8s9t0a'], { config, env: { HM_API_KEY: 'hm_sk_not_a_key' } });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /\(malformed_credentials\) \[HTTP 401/);
  noStack(refused);
});
