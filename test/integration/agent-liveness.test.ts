import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { systemContext } from '../../shared/actor';
import { singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { HOLD_LIMIT_INTERVALS, SYNC_DUTY, SYNC_IN_FLIGHT, livenessSweeper } from '../../services/agents/liveness';
import type { Pacer } from '../../shared/paced';

// The liveness sweep driven by hand on a manual clock, against real Redis and dynalite: no
// worker runs it behind the test's back, and no wall-clock window has to be hit. Each test
// has its own control plane (the sweep sees every cluster under its key prefix).
const INTERVAL = 5000;
const sweeper = systemContext('agent-liveness');
let clock: ReturnType<typeof manualClock>;
let h: Harness;
const lastBeat = new Map<string, number>();

beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 0, 1));
  h = await startHarness({ workers: false, clock, env: { HM_HEARTBEAT_INTERVAL_MS: String(INTERVAL) } });
});
afterEach(() => h.close());

interface Fleet {
  tenantId: string;
  clusters: Record<string, string[]>;
}

async function fleet(name: string, sizes: number[]): Promise<Fleet> {
  const { tenant, key } = await h.createTenant('pro', name);
  const clusters: Record<string, string[]> = {};
  for (const [i, size] of sizes.entries()) {
    const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(`${name.toLowerCase()}-${i}`) });
    assert.equal(c.status, 202, c.text);
    await h.runtime.lifecycle.provision(tenant.id, c.body.id);
    clusters[c.body.id] = [];
    for (let n = 0; n < size; n++) {
      const agentId = `agent-${i}-${n}`;
      await h.runtime.services.fleet.register(sweeper, tenant.id, c.body.id, {
        agentId,
        version: '1.0.0',
        region: 'us-east-1',
        zone: 'us-east-1a',
        advertisedAddress: `10.0.${i}.${n}:9092`,
        roles: ['proxy'],
      });
      clusters[c.body.id].push(agentId);
    }
  }
  return { tenantId: tenant.id, clusters };
}

const beat = (f: Fleet, clusterId: string, agentId: string) => h.runtime.services.fleet.heartbeat(f.tenantId, clusterId, agentId, { openConnections: 1 });

type Sweep = () => Promise<{ died: number; held: number; synced: number; queued: number; deferred: number }>;

/** One interval: every agent but `silent` beats (spread over the interval), then a sweep. */
async function interval(f: Fleet, silent: (clusterId: string, agentId: string) => boolean = () => false, run: Sweep = sweep) {
  const all = Object.entries(f.clusters).flatMap(([c, ids]) => ids.map((a) => [c, a] as const));
  const step = Math.floor(INTERVAL / all.length);
  for (const [c, a] of all) {
    clock.advance(step);
    if (silent(c, a)) continue;
    await beat(f, c, a);
    lastBeat.set(a, clock.now());
  }
  clock.advance(INTERVAL - step * all.length);
  return run();
}

const sweep: Sweep = () => h.runtime.services.fleet.sweep(sweeper);

async function members(f: Fleet) {
  const out: Record<string, string> = {};
  for (const clusterId of Object.keys(f.clusters)) {
    for (const m of (await h.runtime.stores.members.list(f.tenantId, clusterId, 100)).items) out[`${clusterId}/${m.agentId}`] = m.state;
  }
  return out;
}

async function membershipEvents(f: Fleet, limit = 100) {
  const page = await h.runtime.services.audit.listForTenant(f.tenantId, limit);
  return page.items.filter((e: { action: string }) => e.action === 'agent.died' || e.action === 'agent.revived').map((e) => `${e.action} ${e.target.id}`);
}

test('every agent silent at once (our ingress down), then back: no death declared, no revival written', async () => {
  const f = await fleet('Outage', [4, 3]);
  for (let i = 0; i < 3; i++) await interval(f);
  // Longer than a cluster's hold may last, no beat arrives while the sweep keeps running.
  let held = 0;
  for (let i = 0; i < HOLD_LIMIT_INTERVALS + 10; i++) {
    const r = await interval(f, () => true);
    assert.equal(r.died, 0, `sweep ${i} declared deaths during our own outage`);
    held = Math.max(held, r.held);
  }
  assert.equal(held, 7, 'every overdue agent was held');
  // Beats resume, one agent after another, with sweeps in between.
  for (let i = 0; i < 10; i++) assert.equal((await interval(f)).died, 0);
  assert.deepEqual(new Set(Object.values(await members(f))), new Set(['live']));
  assert.deepEqual(await membershipEvents(f), [], 'no death or revival was written');
});

test('the sweep itself stopped (Redis down) while agents went unheard: its first run declares nobody', async () => {
  const f = await fleet('Paused', [3, 2]);
  for (let i = 0; i < 3; i++) await interval(f);
  // Redis (and with it the sweep and every beat) gone, for longer than a cluster's hold lasts.
  clock.advance((HOLD_LIMIT_INTERVALS + 10) * INTERVAL);
  const first = await sweep();
  assert.equal(first.died, 0);
  assert.equal(first.held, 5);
  for (let i = 0; i < 10; i++) assert.equal((await interval(f)).died, 0);
  assert.deepEqual(await membershipEvents(f), []);
});

test('one whole cluster silent while others beat: held until it beats again; a lone death elsewhere is still declared on time', async () => {
  const f = await fleet('Partial', [3, 4]);
  const [quietCluster, busyCluster] = Object.keys(f.clusters);
  const loner = f.clusters[busyCluster][0];
  for (let i = 0; i < 3; i++) await interval(f);
  const lonerLastSeen = lastBeat.get(loner)!;
  let lonerDiedAt = 0;
  for (let i = 0; i < 12; i++) {
    const r = await interval(f, (c, a) => c === quietCluster || a === loner);
    if (r.died > 0) {
      assert.equal(r.died, 1, 'only the lone agent dies');
      lonerDiedAt = clock.now();
    }
  }
  // Declared at the first sweep past six silent intervals, not later.
  assert.ok(lonerDiedAt > lonerLastSeen + 6 * INTERVAL && lonerDiedAt <= lonerLastSeen + 8 * INTERVAL, `declared ${(lonerDiedAt - lonerLastSeen) / INTERVAL} intervals after its last beat`);
  const states = await members(f);
  assert.equal(states[`${busyCluster}/${loner}`], 'dead');
  for (const a of f.clusters[quietCluster]) assert.equal(states[`${quietCluster}/${a}`], 'live', 'the silent cluster was held');
  assert.deepEqual(await membershipEvents(f), [`agent.died ${busyCluster}/${loner}`]);

  // The quiet cluster comes back: nobody there is declared, nothing written.
  for (let i = 0; i < 10; i++) assert.equal((await interval(f, (_c, a) => a === loner)).died, 0);
  assert.deepEqual(await membershipEvents(f), [`agent.died ${busyCluster}/${loner}`]);
});

test('a revival is written by the sweep, not by the beat that revives', async () => {
  const f = await fleet('Revive', [3]);
  const [clusterId] = Object.keys(f.clusters);
  const [gone] = f.clusters[clusterId];
  for (let i = 0; i < 3; i++) await interval(f);
  let died = 0;
  for (let i = 0; i < 8; i++) died += (await interval(f, (_c, a) => a === gone)).died;
  assert.equal(died, 1);
  assert.equal((await members(f))[`${clusterId}/${gone}`], 'dead');

  const answer = await beat(f, clusterId, gone);
  assert.equal(answer.heartbeatIntervalMs, INTERVAL);
  assert.equal((await members(f))[`${clusterId}/${gone}`], 'dead', 'the beat itself wrote nothing to the store');
  assert.deepEqual(await membershipEvents(f), [`agent.died ${clusterId}/${gone}`]);

  const r = await sweep();
  assert.equal(r.synced, 1);
  assert.equal((await members(f))[`${clusterId}/${gone}`], 'live');
  assert.deepEqual((await membershipEvents(f)).sort(), [`agent.died ${clusterId}/${gone}`, `agent.revived ${clusterId}/${gone}`].sort());
  assert.equal((await sweep()).synced, 0, 'written once');
});

test('a fleet that really went away is declared dead once the hold runs out', async () => {
  const f = await fleet('Gone', [2, 2]);
  const [goneCluster] = Object.keys(f.clusters);
  for (let i = 0; i < 3; i++) await interval(f);
  let died = 0;
  let intervals = 0;
  while (died < 2 && intervals < HOLD_LIMIT_INTERVALS + 20) {
    died += (await interval(f, (c) => c === goneCluster)).died;
    intervals++;
  }
  assert.equal(died, 2);
  assert.ok(intervals >= HOLD_LIMIT_INTERVALS, `declared after ${intervals} intervals, before the hold ran out`);
});

/**
 * The same sweep over the same stores, on a pacer of its own: each reading of it is `step` ms
 * after the one before (a group of writes takes one step), and its pauses only move it on.
 */
function pacedSweep(step: number) {
  let t = 0;
  const sleeps: number[] = [];
  const pacer: Pacer = {
    now: () => (t += step),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  const { live, members } = h.runtime.stores;
  const run = livenessSweeper({ live, members, audit: h.runtime.services.audit, clock, intervalMs: INTERVAL, pacer });
  return { sweep: () => run(sweeper), sleeps };
}

test('a mass death is declared at once; its membership writes are paced, stop at the sweep\'s budget and drain over the next sweeps, as do the revivals', async () => {
  // 45 of 100 silent: under the disruption share, so they are judged as usual.
  const f = await fleet('Mass', [100]);
  const [clusterId] = Object.keys(f.clusters);
  const gone = new Set(f.clusters[clusterId].slice(0, 45));
  const paced = pacedSweep(50);
  for (let i = 0; i < 3; i++) await interval(f, undefined, paced.sweep);
  const lastSeen = Math.max(...[...gone].map((a) => lastBeat.get(a)!));

  const sweeps: Awaited<ReturnType<Sweep>>[] = [];
  let died = 0;
  while (died < gone.size && sweeps.length < 12) {
    const r = await interval(f, (_c, a) => gone.has(a), paced.sweep);
    died += r.died;
    if (r.died > 0) sweeps.push(r);
  }
  assert.equal(died, gone.size);
  // Declared as promptly as before: by the first sweeps past six silent intervals.
  assert.ok(clock.now() <= lastSeen + 8 * INTERVAL, `the last death came ${(clock.now() - lastSeen) / INTERVAL} intervals after the last beat`);
  // A group's writes take one step, then a pause of three: a quarter of the time is writing.
  assert.ok(paced.sleeps.length > 0, 'the writes paused');
  for (const ms of paced.sleeps) assert.equal(ms, (50 * (1 - SYNC_DUTY)) / SYNC_DUTY);
  // Half an interval (2,500 ms) of 250 ms rounds: ten groups at most, the rest wait.
  const first = sweeps[0];
  assert.ok(first.synced > 0 && first.synced <= 10 * SYNC_IN_FLIGHT, `first sweep wrote ${first.synced}`);
  assert.ok(first.deferred > 0, 'the first sweep stopped at its budget');
  assert.equal(first.queued, first.deferred, 'what it did not write stays queued');

  // The next sweeps write the rest, each death once.
  let drained = 0;
  for (let r = sweeps.at(-1)!; r.queued > 0; drained++) {
    assert.ok(drained < 10, 'the queue drains');
    r = await interval(f, (_c, a) => gone.has(a), paced.sweep);
    assert.equal(r.died, 0);
  }
  assert.ok(drained >= 1, 'it took more than one sweep');
  let states = await members(f);
  for (const a of f.clusters[clusterId]) assert.equal(states[`${clusterId}/${a}`], gone.has(a) ? 'dead' : 'live', a);
  const deaths = (await membershipEvents(f, 500)).filter((e) => e.startsWith('agent.died'));
  assert.equal(deaths.length, gone.size);
  assert.equal(new Set(deaths).size, gone.size);

  // Everyone comes back: the revivals trickle in the same way.
  const revival = await interval(f, undefined, paced.sweep);
  assert.ok(revival.deferred > 0 && revival.queued > 0, 'the revivals did not all fit in one sweep');
  for (let r = revival, n = 0; r.queued > 0; n++) {
    assert.ok(n < 10, 'the revivals drain');
    r = await interval(f, undefined, paced.sweep);
  }
  states = await members(f);
  for (const a of f.clusters[clusterId]) assert.equal(states[`${clusterId}/${a}`], 'live', a);
  const revivals = (await membershipEvents(f, 500)).filter((e) => e.startsWith('agent.revived'));
  assert.equal(revivals.length, gone.size);
  assert.equal(new Set(revivals).size, gone.size);
});
