import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { manualClock } from '../../shared/clock';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { ApiError, ReferenceAgent } from '../sim/agent';

const INTERVAL = 200;
// These tests poll heartbeats far faster than an agent beats: a roomier per-agent budget.
const ENV = { HM_HEARTBEAT_INTERVAL_MS: String(INTERVAL), HM_AGENT_RECOMMENDED_VERSION: '1.2.0', HM_HEARTBEATS_PER_INTERVAL: '50' };
let h: Harness;
let url: string;

before(async () => {
  h = await startHarness({ env: ENV });
  url = await h.listen();
});
after(() => h.close());

async function readyCluster(key: string, name: string, extra: Record<string, unknown> = {}) {
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name, extra) });
  assert.equal(c.status, 202, c.text);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  return c.body.id as string;
}

async function agentKey(key: string, clusterId: string, access = 'read-write') {
  const r = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: `k-${access}`, access } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.body.secret, /^hm_ak_/);
  return r.body as { id: string; secret: string };
}

const agent = (agentKeySecret: string, agentId: string, extra: Partial<ConstructorParameters<typeof ReferenceAgent>[0]> = {}) =>
  new ReferenceAgent({ baseUrl: url, agentKey: agentKeySecret, agentId, ...extra });

test('agent key → token → register → heartbeats → zone-aware discovery; customer and admin views', async () => {
  const { key } = await h.createTenant('pro', 'Fleet Co');
  const clusterId = await readyCluster(key, 'fleet');
  const ak = await agentKey(key, clusterId);
  const a1 = agent(ak.secret, 'a-1a', { zone: 'us-east-1a', advertisedAddress: '10.0.1.1:9092', version: '1.2.0' });
  const a2 = agent(ak.secret, 'a-1b', { zone: 'us-east-1b', advertisedAddress: '10.0.2.1:9092', version: '1.1.0' });
  const jobsOnly = agent(ak.secret, 'j-1a', { zone: 'us-east-1a', roles: ['jobs'] });
  const reg = await a1.register();
  assert.equal(reg.heartbeatIntervalMs, INTERVAL);
  assert.deepEqual(reg.directives, []);
  assert.equal((await a1.register()).state, 'live', 'registering again is idempotent');
  await a2.register();
  await jobsOnly.register();
  const hb = await a2.heartbeat({ openConnections: 7, bytesIn: 100, cpuPercent: 12.5 });
  assert.deepEqual(hb.directives, [{ type: 'upgrade-available', version: '1.2.0' }], 'an old agent is told to upgrade');
  await a1.heartbeat({ openConnections: 3 });

  // Suspect agents rank last, and live means heard within 3 intervals (600 ms here): on a
  // loaded machine, beat and look again until a look finds both live, then check the order.
  const bothLive = (zone: string) =>
    eventually(async () => {
      await Promise.all([a1.heartbeat({ openConnections: 3 }), a2.heartbeat({ openConnections: 7, cpuPercent: 12.5 })]);
      const d = await a1.discovery(zone);
      return d.agents.every((a: { state: string }) => a.state === 'live') && d;
    }, 30_000, 20);
  const fromB = await bothLive('us-east-1b');
  assert.deepEqual(fromB.agents.map((a: { agentId: string }) => a.agentId), ['a-1b', 'a-1a'], 'same zone first; jobs-only agents are not proxies');
  assert.equal(fromB.agents[0].advertisedAddress, '10.0.2.1:9092');
  assert.equal(fromB.agents[0].load.openConnections, 7);
  const fromA = await bothLive('us-east-1a');
  assert.equal(fromA.agents[0].agentId, 'a-1a');

  // Live means a beat within 3 intervals (600 ms here): beat again right before looking, so a
  // slow machine between the steps above cannot turn the answer into "suspect".
  await Promise.all([a2.heartbeat({ openConnections: 7, bytesIn: 100, cpuPercent: 12.5 }), a1.heartbeat({ openConnections: 3 }), jobsOnly.heartbeat()]);
  const list = await h.request('GET', `/v1/clusters/${clusterId}/agents`, { token: key });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.map((a: { agentId: string }) => a.agentId).sort(), ['a-1a', 'a-1b', 'j-1a']);
  const b = list.body.items.find((a: { agentId: string }) => a.agentId === 'a-1b');
  assert.equal(b.stats.cpuPercent, 12.5);
  // Live means heard within 3 intervals (600 ms here): beat, then look, until a look is quick enough.
  const beatAll = () => Promise.all([a1.heartbeat({ openConnections: 3 }), a2.heartbeat({ openConnections: 7, cpuPercent: 12.5 }), jobsOnly.heartbeat()]);
  await eventually(async () => {
    await beatAll();
    const items = (await h.request('GET', `/v1/clusters/${clusterId}/agents`, { token: key })).body.items;
    return items.find((a: { agentId: string }) => a.agentId === 'a-1b').state === 'live';
  });

  const fleet = await eventually(async () => {
    await beatAll();
    const f = await h.request('GET', '/admin/v1/fleet', { token: await h.adminToken(['viewer']) });
    return f.status === 200 && f.body.byCluster.find((c: { clusterId: string }) => c.clusterId === clusterId).live === 3 && f;
  });
  assert.ok(fleet.body.outdatedAgents.some((a: { agentId: string; version: string }) => a.agentId === 'a-1b' && a.version === '1.1.0'));
  assert.ok(fleet.body.byVersion['1.2.0'] >= 1);

  // A config change is announced to agents that report an older config version.
  await h.request('PATCH', `/v1/clusters/${clusterId}`, { token: key, body: { config: { defaultPartitions: 3 } } });
  await eventually(async () => (await a1.heartbeat()).directives.some((d: { type: string }) => d.type === 'config-changed'), 30_000, 200);

  await a1.deregister();
  assert.ok(!(await a2.discovery()).agents.some((a: { agentId: string }) => a.agentId === 'a-1a'), 'a deregistered agent leaves discovery');
  const audit = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
  const actions = audit.body.items.map((e: { action: string }) => e.action);
  assert.ok(actions.includes('agent.registered') && actions.includes('agent.deregistered') && actions.includes('agent_key.create'));
});

test('an agent silent for 3 intervals is suspect, for 6 dead and out of discovery; a heartbeat revives it (on a test clock)', async (t) => {
  // The windows (suspect after 3 intervals, dead after 6) are read on a clock the test moves:
  // a loaded machine cannot step over the 600 ms suspect window between two looks.
  const clock = manualClock(Date.now());
  const hc = await startHarness({ clock, env: ENV });
  t.after(() => hc.close());
  const { key } = await hc.createTenant('pro', 'Liveness Co');
  const c = await hc.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('live') });
  assert.equal(c.status, 202, c.text);
  const clusterId = c.body.id as string;
  await eventually(async () => (await hc.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready', 30_000);
  const ak = await hc.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'k', access: 'read-write' } });
  const token = (await hc.request('POST', '/agent/v1/token', { token: ak.body.secret })).body.accessToken as string;
  const base = `/agent/v1/clusters/${clusterId}`;
  const register = async (agentId: string) => {
    const r = await hc.request('POST', `${base}/agents`, { token, body: { agentId, version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy', 'jobs'] } });
    assert.equal(r.status, 200, r.text);
  };
  const beat = async (agentId: string, stats: Record<string, number> = {}) => {
    const r = await hc.request('POST', `${base}/agents/${agentId}/heartbeat`, { token, body: { stats } });
    assert.equal(r.status, 200, r.text);
  };
  const discovered = async () => (await hc.request('GET', `${base}/discovery`, { token })).body.agents.map((a: { agentId: string }) => a.agentId);
  // Time passes in steps of half an interval; the chatty agent beats at every step (so its
  // cluster is not silent as a whole), and each step waits for a liveness sweep (a worker on
  // its own schedule) to have looked at it: a sweep that missed more than half the dead
  // threshold holds every death, as after our own outage.
  const sweptAt = async () => Number((await hc.runtime.redis.hget(`${hc.config.queuePrefix}:fleet-sweep`, 'lastSweepAt')) ?? 0);
  const pass = async (ms: number) => {
    for (let left = ms; left > 0; left -= INTERVAL / 2) {
      clock.advance(Math.min(left, INTERVAL / 2));
      await beat('chatty');
      const now = clock.now();
      await eventually(async () => (await sweptAt()) >= now, 30_000, 20);
    }
  };
  await register('quiet');
  await register('chatty');
  await beat('quiet', { openConnections: 7, cpuPercent: 12 });
  const lastBeat = clock.now();
  const view = async () => (await hc.request('GET', `/v1/clusters/${clusterId}/agents`, { token: key })).body.items.find((a: { agentId: string }) => a.agentId === 'quiet');
  const state = async () => (await view()).state;

  await pass(INTERVAL);
  assert.equal(await state(), 'live');
  await pass(2 * INTERVAL);
  assert.equal(await state(), 'suspect', 'silent for 3 intervals');
  assert.ok((await discovered()).includes('quiet'), 'a suspect agent is still discoverable (ranked last)');
  await pass(3 * INTERVAL);
  assert.equal(await state(), 'dead', 'silent for 6 intervals');
  assert.deepEqual(await discovered(), ['chatty'], 'a dead agent leaves discovery');
  // The sweep (a worker, on its own schedule) declares the death durably and audits it, once
  // the silence is past the threshold (strictly).
  await pass(INTERVAL / 2);
  const died = await eventually(async () => {
    const ev = await hc.request('GET', '/v1/audit-events?limit=100', { token: key });
    return ev.body.items.find((e: { action: string; target: { id: string } }) => e.action === 'agent.died' && e.target.id === `${clusterId}/quiet`);
  }, 30_000);
  assert.equal(died.principal.type, 'system');
  // The customer still sees the dead agent's last beat and counters...
  const dead = await view();
  assert.equal(Date.parse(dead.lastHeartbeatAt), lastBeat, JSON.stringify(dead));
  assert.deepEqual(dead.stats, { openConnections: 7, cpuPercent: 12 });
  // ...also once Redis has forgotten the agent (its record expires an hour after death).
  await hc.runtime.redis.del(`${hc.config.queuePrefix}:agent:{${clusterId}}:quiet`);
  assert.deepEqual((await view()).stats, { openConnections: 7, cpuPercent: 12 });
  assert.equal((await view()).lastHeartbeatAt, dead.lastHeartbeatAt);
  assert.equal((await view()).state, 'dead');
  await hc.runtime.redis.hset(`${hc.config.queuePrefix}:agent:{${clusterId}}:quiet`, 'state', 'dead', 'lastSeen', String(lastBeat), 'agent', JSON.stringify({ agentId: 'quiet', version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy', 'jobs'] }));
  // The admin fleet view keeps counting it as dead long after the dead threshold (2 × 6 intervals here).
  await pass(6 * INTERVAL + 500);
  const fleet = await hc.request('GET', '/admin/v1/fleet', { token: await hc.adminToken(['viewer']) });
  const row = fleet.body.byCluster.find((x: { clusterId: string }) => x.clusterId === clusterId);
  assert.deepEqual({ live: row.live, suspect: row.suspect, dead: row.dead }, { live: 1, suspect: 0, dead: 1 });
  assert.ok(fleet.body.byState.dead >= 1);
  await beat('quiet', { openConnections: 1 });
  assert.equal(await state(), 'live');
  assert.ok((await discovered()).includes('quiet'), 'revived agents return to discovery');
  // The revival's membership write and audit event are the next sweep's work, not the beat's.
  await eventually(async () => (await hc.request('GET', '/v1/audit-events?limit=100', { token: key })).body.items.some((e: { action: string }) => e.action === 'agent.revived'), 30_000);
});

test('revoking the agent key, suspending the tenant or deleting the cluster refuses live tokens within 5 s, also on another process', async (t) => {
  const other = await startHarness({ shareWith: h, workers: false, env: ENV });
  try {
    const otherUrl = await other.listen();
    const admin = await h.adminToken();
    const { tenant, key } = await h.createTenant('pro', 'Revoke Co');
    const clusterId = await readyCluster(key, 'revoke');
    const agentOnOther = (secret: string, id: string) => new ReferenceAgent({ baseUrl: otherUrl, agentKey: secret, agentId: id });

    const measure = async (a: ReferenceAgent, revoke: () => Promise<void>, code: string) => {
      await a.heartbeat();
      const t0 = Date.now();
      await revoke();
      await eventually(async () => {
        try {
          await a.call('POST', (c) => `/agent/v1/clusters/${c}/agents/${a.opts.agentId}/heartbeat`, { stats: {} });
          return false;
        } catch (e) {
          return e instanceof ApiError && e.status !== 404 && e.code === code;
        }
      }, 5000, 50);
      return Date.now() - t0;
    };

    const k1 = await agentKey(key, clusterId);
    const a1 = agentOnOther(k1.secret, 'r1');
    await a1.register();
    const revokeMs = await measure(a1, async () => {
      assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}/agent-keys/${k1.id}`, { token: key })).status, 200);
    }, 'token_revoked');
    await assert.rejects(a1.tokens.get(true), (e: unknown) => e instanceof ApiError && e.code === 'credentials_revoked');

    const k2 = await agentKey(key, clusterId);
    const a2 = agentOnOther(k2.secret, 'r2');
    await a2.register();
    const suspendMs = await measure(a2, async () => {
      assert.equal((await h.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { token: admin, body: { status: 'suspended' } })).status, 200);
    }, 'token_revoked');
    await assert.rejects(a2.tokens.get(true), (e: unknown) => e instanceof ApiError && e.code === 'tenant_suspended');
    await h.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { token: admin, body: { status: 'active' } });
    await a2.tokens.get(true);
    await a2.heartbeat();

    const deleteMs = await measure(a2, async () => {
      assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}`, { token: key })).status, 202);
    }, 'token_revoked');
    t.diagnostic(`refused after: key revoked ${revokeMs} ms, tenant suspended ${suspendMs} ms, cluster deleted ${deleteMs} ms`);
    for (const ms of [revokeMs, suspendMs, deleteMs]) assert.ok(ms < 5000, `refused after ${ms} ms`);
  } finally {
    await other.close();
  }
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
  const { key } = await h.createTenant('pro', 'Dereg Co');
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
  const { key } = await h.createTenant('pro', 'Bound Co');
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
  const audit = await h.request('GET', '/v1/audit-events?limit=100', { token: key });
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
