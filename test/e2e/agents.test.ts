import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { AGENT_PLANE_ENV as ENV, agentPlaneTools, INTERVAL } from '../helpers/agent-plane';
import { ApiError, ReferenceAgent } from '../sim/agent';

// Agents end to end over HTTP: registration, heartbeats, discovery, liveness, and credentials refused once revoked.
let h: Harness;
let url: string;

before(async () => {
  h = await startHarness({ env: ENV });
  url = await h.listen();
});
after(() => h.close());

const { readyCluster, agentKey, agent } = agentPlaneTools(() => ({ plane: h, url }));

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

