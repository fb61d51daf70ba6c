import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startHarness, type Harness } from '../helpers/harness';
import { AGENT_PLANE_ENV as ENV, agentPlaneTools } from '../helpers/agent-plane';
import { ApiError } from '../sim/agent';

// Agents end to end over HTTP: what a token may do (scope, access level, agent ids), signing-key rotation, and bad credentials.
let h: Harness;
let url: string;

before(async () => {
  h = await startHarness({ env: ENV });
  url = await h.listen();
});
after(() => h.close());

const { readyCluster, agentKey, agent } = agentPlaneTools(() => ({ plane: h, url }));

/**
 * A second plane with the default heartbeat interval (5 s: dead after 30 s of silence), for
 * tests about who may act on an agent: with 200 ms intervals a loaded machine lets an agent die
 * between two steps, and a dead agent's id is free again.
 */
let slow: { h: Harness; url: string } | undefined;
async function slowPlane() {
  if (!slow) {
    const sh = await startHarness({ env: { HM_HEARTBEATS_PER_INTERVAL: '50' } });
    slow = { h: sh, url: await sh.listen() };
  }
  return slow;
}
after(async () => {
  await slow?.h.close();
});


test('token scope: another cluster\'s paths are 404; read-only keys may read; limits per tier', async () => {
  const { key } = await h.createTenant('dev', 'Scope Co');
  const c1 = await readyCluster(key, 'one');
  const c2 = await readyCluster(key, 'two');
  const ak = await agentKey(key, c1, 'read-only');
  const ro = agent(ak.secret, 'ro-1');
  assert.equal((await ro.register()).state, 'live', 'read-only agents register and heartbeat');
  await ro.heartbeat();
  await ro.discovery();
  await assert.rejects(
    ro.call('GET', () => `/agent/v1/clusters/${c2}/discovery`),
    (e: unknown) => e instanceof ApiError && e.status === 404 && e.code === 'cluster_not_found',
  );
  const wrongRegion = agent(ak.secret, 'x', { region: 'eu-west-1', zone: 'eu-west-1a' });
  await assert.rejects(wrongRegion.register(), (e: unknown) => e instanceof ApiError && e.code === 'invalid_region');
  await assert.rejects(agent(ak.secret, 'y', { zone: 'eu-west-1a' }).register(), (e: unknown) => e instanceof ApiError && e.code === 'invalid_zone');
  // dev allows 5 live agents per cluster; the five keep beating, so none is counted dead on a slow machine.
  const five = [ro, ...[2, 3, 4, 5].map((i) => agent(ak.secret, `ro-${i}`))];
  try {
    for (const a of five) await a.start();
    await assert.rejects(agent(ak.secret, 'ro-6').register(), (e: unknown) => e instanceof ApiError && e.status === 409 && e.code === 'agent_limit_reached');
    assert.equal((await agent(ak.secret, 'ro-1').register()).state, 'live', 'a known agent may always re-register');
  } finally {
    await Promise.all(five.map((a) => a.stop()));
  }
});

test('issue 8 #16: deregistration is a write: a read-only agent cannot take any agent (itself included) out of discovery', async () => {
  const { h: sh, url: slowUrl } = await slowPlane();
  const { key } = await sh.createTenant('pro', 'Dereg Co');
  const { readyCluster, agentKey, agent } = agentPlaneTools(() => ({ plane: sh, url: slowUrl }));
  const clusterId = await readyCluster(key, 'dereg');
  const rw = agent((await agentKey(key, clusterId)).secret, 'rw-1');
  const ro = agent((await agentKey(key, clusterId, 'read-only')).secret, 'ro-1');
  await rw.register();
  await ro.register();
  for (const target of ['rw-1', 'ro-1']) {
    await assert.rejects(
      ro.call('DELETE', (c) => `/agent/v1/clusters/${c}/agents/${target}`),
      (e: unknown) => e instanceof ApiError && e.status === 403 && e.code === 'read_only_agent',
      `read-only deregistration of ${target}`,
    );
  }
  const ids = (await ro.discovery()).agents.map((a: { agentId: string }) => a.agentId).sort();
  assert.deepEqual(ids, ['ro-1', 'rw-1'], 'both agents are still discoverable');
  await rw.deregister();
  assert.deepEqual((await ro.discovery()).agents.map((a: { agentId: string }) => a.agentId), ['ro-1'], 'a read-write agent may deregister');
});

test('issue 8: an agent id belongs to the credential that registered it: a read-only agent cannot re-register or beat as another', async () => {
  const { h: sh, url: slowUrl } = await slowPlane();
  const { key } = await sh.createTenant('pro', 'Bound Co');
  const { readyCluster, agentKey, agent } = agentPlaneTools(() => ({ plane: sh, url: slowUrl }));
  const clusterId = await readyCluster(key, 'bound');
  const rwKey = (await agentKey(key, clusterId)).secret;
  const roKey = (await agentKey(key, clusterId, 'read-only')).secret;
  const victim = agent(rwKey, 'rw-1', { advertisedAddress: '10.0.0.1:9092' });
  await victim.register();
  const ro = agent(roKey, 'ro-1');
  await ro.register();
  const bound = (what: string) => (e: unknown) => e instanceof ApiError && e.status === 403 && e.code === 'agent_id_bound' ? true : assert.fail(`${what}: ${String(e)}`);

  // Posing as rw-1 with a read-only key: neither a re-registration (which would point
  // discovery at another address) nor a beat for it is taken.
  const impostor = agent(roKey, 'rw-1', { advertisedAddress: '10.6.6.6:9092' });
  await assert.rejects(impostor.register(), bound('register as another'), 'register as another');
  await assert.rejects(ro.call('POST', (c) => `/agent/v1/clusters/${c}/agents/rw-1/heartbeat`, { stats: { openConnections: 99 } }), bound('beat as another'), 'beat as another');
  const rw1 = (await ro.discovery()).agents.find((a: { agentId: string }) => a.agentId === 'rw-1');
  assert.equal(rw1.advertisedAddress, '10.0.0.1:9092', 'discovery still points at the real agent');
  assert.equal(rw1.load.openConnections, 0);
  // A second read-only key is another credential too.
  const ro2 = agent((await agentKey(key, clusterId, 'read-only')).secret, 'ro-1');
  await assert.rejects(ro2.register(), bound('another read-only key'), 'another read-only key');

  // Its own id is fine, again and again; and a read-write credential may take an id over
  // (an agent whose key was rotated), which is audited.
  assert.equal((await ro.register()).state, 'live');
  await ro.heartbeat();
  const rotated = agent((await agentKey(key, clusterId)).secret, 'rw-1', { advertisedAddress: '10.0.0.1:9092' });
  assert.equal((await rotated.register()).state, 'live');
  await rotated.heartbeat();
  await assert.rejects(victim.heartbeat(), bound('the old credential after a takeover'), 'the old credential after a takeover');
  const audit = await sh.request('GET', '/v1/audit-events?limit=100', { token: key });
  assert.ok(audit.body.items.some((e: { action: string; target: { id: string } }) => e.action === 'agent.rebound' && e.target.id === `${clusterId}/rw-1`), 'the takeover is audited');
});

test('signing-key rotation: the next key is published before it signs, old tokens keep working, JWKS serves both', async () => {
  const { key } = await h.createTenant('pro', 'Rotate Co');
  const clusterId = await readyCluster(key, 'rot');
  const ak = await agentKey(key, clusterId);
  const a = agent(ak.secret, 'rot-1');
  await a.register();
  const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
  const kidBefore = kidOf((await a.tokens.get()).accessToken);
  const started = Date.now();
  const rotated = await h.request('POST', '/admin/v1/signing-keys/rotate', { token: await h.adminToken() });
  assert.equal(rotated.status, 200);
  assert.equal(rotated.body.previousKid, kidBefore);
  assert.equal(rotated.body.status, 'pending');
  assert.notEqual(rotated.body.kid, kidBefore);
  assert.ok(Date.parse(rotated.body.activatesAt) >= started + 110_000, 'the new key signs only after every cache has seen it');
  const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
  assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [kidBefore, rotated.body.kid].sort(), 'published at once');
  assert.ok(jwks.keys.every((k) => k.d === undefined && k.alg === 'EdDSA'), 'public halves only');
  await a.heartbeat();
  assert.equal(kidOf((await a.tokens.get(true)).accessToken), kidBefore, 'nobody signs with it before it activates');
  await a.heartbeat();
  const again = await h.request('POST', '/admin/v1/signing-keys/rotate', { token: await h.adminToken() });
  assert.deepEqual(again.body, rotated.body, 'rotating again meanwhile reports the same pending key');
  assert.equal((await h.request('POST', '/admin/v1/signing-keys/rotate', { token: await h.adminToken(['viewer']) })).status, 403);
});

test('agent routes refuse expired, tampered, alg:none, wrong-audience, admin and API-key credentials with distinct codes', async () => {
  const { key } = await h.createTenant('pro', 'Forge Co');
  const clusterId = await readyCluster(key, 'forge');
  const ak = await agentKey(key, clusterId);
  const a = agent(ak.secret, 'f-1');
  await a.register();
  const good = (await a.tokens.get()).accessToken;
  const { kid, privateKey } = await h.runtime.services.signingKeys.current();
  const claims = JSON.parse(Buffer.from(good.split('.')[1], 'base64url').toString());
  const forge = (patch: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ ...claims, ...patch }).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'agent+jwt', ...header }).sign(privateKey);
  const [h64, p64, s64] = good.split('.');
  const evil = Buffer.from(JSON.stringify({ ...claims, cid: 'vci_01m87drmpqga8tgzsda4hm79fm' })).toString('base64url');
  const path = `/agent/v1/clusters/${clusterId}/discovery`;
  const table: [string, string, string][] = [
    ['expired', await forge({ exp: Math.floor(Date.now() / 1000) - 10, jti: 'x1' }), 'token_expired'],
    ['tampered', `${h64}.${evil}.${s64}`, 'invalid_token_signature'],
    ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'agent+jwt', kid })).toString('base64url')}.${p64}.`, 'algorithm_not_allowed'],
    ['wrong audience', await forge({ aud: 'admin', jti: 'x2' }), 'invalid_audience'],
    ['wrong type', await forge({ jti: 'x3' }, { typ: 'JWT' }), 'invalid_token_type'],
    ['unknown kid', await forge({ jti: 'x4' }, { kid: 'sk-nope' }), 'unknown_signing_key'],
    ['admin token', await h.adminToken(), 'unknown_signing_key'],
    ['API key', key, 'malformed_credentials'],
    ['agent key itself', ak.secret, 'malformed_credentials'],
  ];
  const codes = new Set<string>();
  for (const [name, token, code] of table) {
    const res = await h.request('GET', path, { token });
    assert.equal(res.status, 401, `${name}: ${res.text}`);
    assert.equal(res.body.code, code, name);
    codes.add(code);
  }
  assert.ok(codes.size >= 7, 'the failures are told apart');
  assert.equal((await h.request('GET', path, { token: good })).status, 200);
  // Agent tokens are no good elsewhere either.
  assert.equal((await h.request('GET', '/v1/clusters', { token: good })).body.code, 'malformed_credentials');
  assert.equal((await h.request('GET', '/admin/v1/tenants', { token: good })).body.code, 'invalid_token_signature');
  // Bad bodies on agent routes.
  const bad = await h.request('POST', `/agent/v1/clusters/${clusterId}/agents/f-1/heartbeat`, { token: good, body: { stats: { openConnections: -1 } } });
  assert.equal(bad.body.code, 'invalid_body');
  const unknownStat = await h.request('POST', `/agent/v1/clusters/${clusterId}/agents/f-1/heartbeat`, { token: good, body: { stats: { payload: 'x' } } });
  assert.equal(unknownStat.body.code, 'unknown_field');
  const badAddr = await h.request('POST', `/agent/v1/clusters/${clusterId}/agents`, {
    token: good,
    body: { agentId: 'z', version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: 'host:99999', roles: ['proxy'] },
  });
  assert.equal(badAddr.body.code, 'invalid_body');
  const unknownAgent = await h.request('POST', `/agent/v1/clusters/${clusterId}/agents/nobody/heartbeat`, { token: good, body: { stats: {} } });
  assert.equal(unknownAgent.status, 404);
  assert.equal(unknownAgent.body.code, 'agent_not_registered');
});
