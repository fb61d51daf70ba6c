import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { checksum6 } from '../../shared/crypto';
import { tenantPk } from '../../shared/keys';
import { NEXT_KEY_LEAD_MS } from '../../services/credentials/signing-keys';

// Key hygiene: pepper rotation with re-hash on use, expiry warnings, leaked-secret reports.

const OLD = 'old-pepper-'.padEnd(40, 'o');
const NEW = 'new-pepper-'.padEnd(40, 'n');
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

async function readyCluster(key: string, name: string, on = h) {
  const c = await on.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name) });
  await eventually(async () => (await on.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  return c.body.id as string;
}

/** The same id and a different secret part, with a valid checksum: what a guesser would send. */
function wrongSecretSameId(secret: string) {
  const [, kind, id] = /^hm_(sk|ak)_([0-9a-z]{26})_/.exec(secret)!;
  const material = `hm_${kind}_${id}_${'A'.repeat(32)}`;
  return material + checksum6(material);
}

test('pepper rotation: keys hashed with the previous pepper still work, are re-hashed on use, and the status counts down', async () => {
  // Its own deployment, on the old pepper: the rotation is a change of every process's configuration.
  const h = await startHarness({ pepper: OLD });
  try {
    const { key, tenant } = await h.createTenant('pro', 'Rotate Co');
    const clusterId = await readyCluster(key, 'rot', h);
    const idleBody = { name: 'idle', scopes: ['tenant:read'] };
    const idle = await h.request('POST', '/v1/api-keys', { token: key, body: idleBody, headers: { 'idempotency-key': 'idle-1' } });
    const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'a', access: 'read-only' } });
    const page1 = await h.request('GET', '/v1/api-keys?limit=1', { token: key });
    // Tokens have been issued: a signing key exists, sealed under the old pepper.
    assert.equal((await h.request('POST', '/agent/v1/token', { token: ak.body.secret })).status, 200);
    // A key from before pepper tracking: its hash names no pepper.
    const legacy = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'legacy', scopes: ['tenant:read'] } });
    await h.runtime.db.update({ table: h.runtime.tables.control, key: { pk: tenantPk(tenant.id), sk: `APIKEY#${legacy.body.id}` }, update: 'REMOVE pepperId' });

    const before = (await h.request('GET', '/admin/v1/pepper-status', { token: await h.adminToken(['viewer']) })).body;
    assert.deepEqual(before.apiKeys, { current: 2, previous: 0, untagged: 1 });
    assert.deepEqual(before.agentKeys, { current: 1, previous: 0, untagged: 0 });
    assert.equal(before.signingKey, 'current');

    // The operator rotates: HM_API_KEY_PEPPER=new,old on a process sharing the store. Its
    // clock can be moved on past the signing key successor's lead time.
    let skew = 0;
    const clock = { now: () => Date.now() + skew };
    const rotated = await startHarness({ shareWith: h, workers: false, pepper: NEW, clock, env: { HM_API_KEY_PEPPER: `${NEW},${OLD}` } });
    try {
      const status = async () => (await rotated.request('GET', '/admin/v1/pepper-status', { token: await rotated.adminToken(['viewer']) })).body;
      const s0 = await status();
      assert.notEqual(s0.currentPepperId, before.currentPepperId);
      assert.deepEqual(s0.previousPepperIds, [before.currentPepperId]);
      assert.deepEqual(s0.apiKeys, { current: 0, previous: 2, untagged: 1 });
      assert.equal(s0.signingKey, 'previous', 'a successor is published at start but does not sign yet');
      assert.equal(s0.remaining, 5);

      assert.equal((await rotated.request('GET', '/v1/tenant', { token: key })).status, 200, 'an old-pepper key still works');
      assert.equal((await rotated.request('GET', '/v1/tenant', { token: legacy.body.secret })).status, 200, 'an untagged key still works');
      assert.equal((await rotated.request('POST', '/agent/v1/token', { token: ak.body.secret })).status, 200, 'an old-pepper agent key still works');
      assert.equal((await rotated.request('GET', `/v1/api-keys?cursor=${encodeURIComponent(page1.body.nextCursor)}`, { token: key })).status, 200, 'cursors made before the rotation still read');
      const replay = await rotated.request('POST', '/v1/api-keys', { token: key, body: idleBody, headers: { 'idempotency-key': 'idle-1' } });
      assert.equal(replay.status, 201, `answers sealed before the rotation still replay: ${replay.text}`);
      assert.equal(replay.body.id, idle.body.id);
      const s1 = await status();
      assert.deepEqual(s1.apiKeys, { current: 2, previous: 1, untagged: 0 }, 'used keys were re-hashed with the new pepper');
      assert.deepEqual(s1.agentKeys, { current: 1, previous: 0, untagged: 0 });
      assert.equal(s1.signingKey, 'previous');
      assert.equal(s1.remaining, 2, 'the idle key and the signing key still need the old pepper');

      // Dropping the old pepper now would leave no key to sign with: a 503, never a 500.
      const early = await startHarness({ shareWith: h, workers: false, pepper: NEW });
      try {
        const refused = await early.request('POST', '/agent/v1/token', { token: ak.body.secret });
        assert.equal(refused.status, 503, refused.text);
        assert.equal(refused.body.code, 'signing_key_unavailable');
      } finally {
        await early.close();
      }

      // Once the successor's lead time has passed, the next token issue makes it sign.
      skew = NEXT_KEY_LEAD_MS + 1000;
      assert.equal((await rotated.request('POST', '/agent/v1/token', { token: ak.body.secret })).status, 200);
      const s2 = await status();
      assert.equal(s2.signingKey, 'current');
      assert.equal(s2.remaining, 1, 'only the idle key still needs the old pepper');

      // The CLI reports the same, asking the running server (in this process: run it asynchronously).
      const url = await rotated.listen();
      const cli = await promisify(execFile)(path.join(process.cwd(), 'node_modules/.bin/tsx'), ['infra/cli/pepper-status.ts'], {
        env: { ...process.env, HM_DATA_DIR: h.config.dataDir, HM_PUBLIC_URL: url, NODE_ENV: 'test' },
      });
      assert.match(cli.stdout, /remaining: 1 \(keep the previous pepper/);
    } finally {
      await rotated.close();
    }

    // The old pepper dropped: re-hashed keys work, the idle one no longer verifies; tokens still sign.
    const dropped = await startHarness({ shareWith: h, workers: false, pepper: NEW });
    try {
      assert.equal((await dropped.request('GET', '/v1/tenant', { token: key })).status, 200);
      assert.equal((await dropped.request('POST', '/agent/v1/token', { token: ak.body.secret })).status, 200);
      const stale = await dropped.request('GET', '/v1/tenant', { token: idle.body.secret });
      assert.equal(stale.status, 401);
      assert.equal(stale.body.code, 'invalid_credentials');
    } finally {
      await dropped.close();
    }
  } finally {
    await h.close();
  }
});

test('expiring keys: expiresSoon in lists, one api_key.expiring audit event a week ahead, run by a scheduled worker job', async () => {
  const { key } = await h.createTenant('pro', 'Expiry Co');
  const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
  const soon = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'soon', scopes: ['tenant:read'], expiresAt: inDays(3) } });
  const later = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'later', scopes: ['tenant:read'], expiresAt: inDays(30) } });
  assert.equal(soon.body.expiresSoon, true);
  assert.equal(later.body.expiresSoon, false);
  const list = await h.request('GET', '/v1/api-keys?limit=100', { token: key });
  const byId = new Map(list.body.items.map((k: { id: string; expiresSoon: boolean }) => [k.id, k.expiresSoon]));
  assert.equal(byId.get(soon.body.id), true);
  assert.equal(byId.get(later.body.id), false);

  assert.ok((await h.runtime.services.keyHygiene.warnExpiring()) >= 1);
  assert.equal(await h.runtime.services.keyHygiene.warnExpiring(), 0, 'warned once');
  const audit = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
  const warnings = audit.body.items.filter((e: { action: string }) => e.action === 'api_key.expiring');
  assert.deepEqual(warnings.map((e: { target: { id: string } }) => e.target.id), [soon.body.id]);
  assert.equal(warnings[0].principal.type, 'system');
  const schedulers = await (await h.runtime.queues.open()).maintenance.getJobSchedulers();
  assert.ok(schedulers.some((s) => s.name === 'key-expiry-warnings'), 'the worker runs the sweep on a schedule');
});

test('leaked secrets: ours are revoked at once; a guess (right id, wrong secret) or garbage answers the same; admins only', async () => {
  const { key } = await h.createTenant('pro', 'Leak Co');
  const clusterId = await readyCluster(key, 'leak');
  const leaked = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'leaked', scopes: ['tenant:read'] } });
  const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'a', access: 'read-write' } });
  const agentToken = (await h.request('POST', '/agent/v1/token', { token: ak.body.secret })).body.accessToken;
  const admin = await h.adminToken();
  const report = (secret: string, token = admin) => h.request('POST', '/admin/v1/leaked-secrets', { token, body: { secret } });

  const unknown = [wrongSecretSameId(leaked.body.secret), wrongSecretSameId(ak.body.secret), 'hm_sk_nope', 'ghp_abcdef', leaked.body.secret.slice(0, -1) + 'x'];
  for (const s of unknown) {
    const r = await report(s);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { recognised: false }, s);
  }
  assert.equal((await h.request('GET', '/v1/tenant', { token: leaked.body.secret })).status, 200, 'a guess revoked nothing');

  for (const [token, code] of [[await h.adminToken(['viewer']), 403], [key, 401], [agentToken, 401]] as const) {
    assert.equal((await report(leaked.body.secret, token)).status, code);
  }
  assert.equal((await h.request('POST', '/admin/v1/leaked-secrets', { body: { secret: leaked.body.secret } })).status, 401);

  const hit = await report(leaked.body.secret);
  assert.equal(hit.body.recognised, true);
  assert.deepEqual([hit.body.kind, hit.body.id, hit.body.alreadyRevoked], ['api-key', leaked.body.id, false]);
  const refused = await h.request('GET', '/v1/tenant', { token: leaked.body.secret });
  assert.equal(refused.body.code, 'credentials_revoked');
  assert.equal((await report(leaked.body.secret)).body.alreadyRevoked, true);

  const agentHit = await report(ak.body.secret);
  assert.deepEqual([agentHit.body.kind, agentHit.body.clusterId], ['agent-key', clusterId]);
  assert.equal((await h.request('GET', `/agent/v1/clusters/${clusterId}/discovery`, { token: agentToken })).body.code, 'token_revoked', 'live tokens of the key stop at once');

  const audit = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
  const reported = audit.body.items.filter((e: { action: string }) => e.action === 'secret.leak_reported').map((e: { target: { id: string } }) => e.target.id);
  assert.deepEqual([...new Set(reported)].sort(), [ak.body.id, leaked.body.id].sort(), 'the owner sees what was reported');
});
