import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { pacedEach, realPacer, type Pacer } from '../../shared/paced';
import type { AuditService } from '../audit/service';
import { holdFields, type ClusterLiveness, type LiveStore } from './live-store';
import type { MemberStore } from './members-store';
import { DEAD_AFTER_INTERVALS, SUSPECT_AFTER_INTERVALS } from './model';

/**
 * When this share of a cluster's agents (and at least two of them) fall silent together, the
 * silence is more likely ours (our ingress, our Redis, the path to us) than theirs, as with
 * Kubernetes' node lifecycle controller and its zone disruption: deaths are held.
 */
export const DISRUPTION_FRACTION = 0.55;
export const DISRUPTION_MIN_AGENTS = 2;
/**
 * A cluster's hold ends at the latest after this many intervals, so that a fleet that really
 * went away is declared dead in the end (holds because nothing is heard anywhere, or because
 * the sweep did not run, last as long as that does).
 */
export const HOLD_LIMIT_INTERVALS = 120;
/** Membership writes per sweep; the rest wait for the next one (a bounded trickle, not a storm). */
export const SYNC_PER_SWEEP = 500;
/**
 * How the sweep paces those writes: each is a store write and an audit event, and the embedded
 * store runs in the API's process, so 500 back to back held its heartbeats for a second. A few
 * at a time, pausing after each group so the writes take about this share of the process, and
 * none started after this share of an interval: what is left stays queued in Redis.
 */
export const SYNC_IN_FLIGHT = 4;
export const SYNC_DUTY = 0.25;
export const SYNC_BUDGET_INTERVALS = 0.5;
/**
 * Written per sweep whatever the budget: a dead agent's Redis record (which its queued write
 * reads) expires about an hour after its last beat, so the queue must drain faster than that
 * even when the writes are slow (at a 5 s interval, over 20,000 deaths an hour).
 */
export const SYNC_MIN_PER_SWEEP = 32;

interface Hold {
  /** When the disruption began (0: none remembered). */
  start: number;
  /** The last time it was seen: silent agents get a full dead threshold counted from here. */
  amnesty: number;
}

export interface SweepPlan {
  deaths: { tenantId: string; clusterId: string; agentId: string }[];
  held: number;
  /** Why deaths are held: `sweeper-paused`, `no-heartbeats`, `cluster:<id>`. */
  holds: string[];
  save: { set: Record<string, number>; remove: string[] };
}

/**
 * Decides, from what Redis says, which overdue agents to declare dead. Three reasons to hold:
 * the sweep itself did not run for a while (what it did not watch it cannot judge: everyone
 * gets a fresh threshold); no agent anywhere was heard for the suspect threshold (our
 * ingress is down); a cluster's agents went silent together. A held agent gets the dead
 * threshold again from the moment the disruption was last seen; agents that were silent well
 * before the disruption began are judged as usual.
 */
export function planSweep(view: ClusterLiveness[], state: Record<string, number>, now: number, intervalMs: number): SweepPlan {
  const deadAfter = DEAD_AFTER_INTERVALS * intervalMs;
  const deadBefore = now - deadAfter;
  // Detection lags the silence by the suspect threshold and up to a sweep or two.
  const margin = (SUSPECT_AFTER_INTERVALS + 2) * intervalMs;
  const set: Record<string, number> = { lastSweepAt: now };
  const remove: string[] = [];
  const holds: string[] = [];

  const track = (fields: { start: string; amnesty: string }, disrupted: boolean, startIfNew: number, limited: boolean): Hold => {
    let start = state[fields.start] || 0;
    let amnesty = state[fields.amnesty] || 0;
    if (disrupted) {
      if (!start || amnesty < deadBefore) start = startIfNew;
      if (!limited || now - start < HOLD_LIMIT_INTERVALS * intervalMs) amnesty = now;
      set[fields.start] = start;
      set[fields.amnesty] = amnesty;
    } else if (start && amnesty < deadBefore) {
      // Over, and its amnesty has run out: nothing left to remember.
      remove.push(fields.start, fields.amnesty);
      start = amnesty = 0;
    }
    return { start, amnesty };
  };

  // The sweep did not run: the disruption began when it last did. This hold and the next
  // have no time limit: however long we were away or deaf, the silence was ours.
  const paused = state.lastSweepAt > 0 && now - state.lastSweepAt > deadAfter / 2;
  const pause = track({ start: 'pause:start', amnesty: 'pause:amnesty' }, paused, state.lastSweepAt, false);
  if (paused) holds.push('sweeper-paused');
  const agents = view.reduce((n, c) => n + c.agents, 0);
  const silent = view.reduce((n, c) => n + c.silent, 0);
  const deaf = silent >= DISRUPTION_MIN_AGENTS && silent === agents;
  const global = track({ start: 'global:start', amnesty: 'global:amnesty' }, deaf, now, false);
  if (deaf) holds.push('no-heartbeats');

  const deaths: SweepPlan['deaths'] = [];
  let held = 0;
  for (const c of view) {
    const disrupted = c.silent >= DISRUPTION_MIN_AGENTS && c.silent >= DISRUPTION_FRACTION * c.agents;
    const cluster = track(holdFields(c.clusterId), disrupted, now, true);
    if (disrupted) holds.push(`cluster:${c.clusterId}`);
    for (const o of c.overdue) {
      let lastHeard = o.lastSeen;
      for (const h of [pause, global, cluster]) {
        // Silent since well before this disruption began: its silence is its own.
        if (!h.amnesty || (h.start && o.lastSeen < h.start - margin)) continue;
        lastHeard = Math.max(lastHeard, h.amnesty);
      }
      if (lastHeard < deadBefore) deaths.push({ tenantId: c.tenantId, clusterId: c.clusterId, agentId: o.agentId });
      else held++;
    }
  }
  return { deaths, held, holds, save: { set, remove } };
}

/**
 * The liveness sweep (a worker job, every interval): declares overdue agents dead unless a
 * disruption holds them, then writes the membership records (and audit events) that Redis
 * queued: deaths declared here and revivals noted by heartbeats.
 */
/** How long a dead agent stays in the cluster's dead set (the fleet view counts it meanwhile). */
export const DEAD_KEPT_MS = 3_600_000;

export function livenessSweeper(deps: {
  live: LiveStore;
  members: MemberStore;
  audit: AuditService;
  clock: Clock;
  intervalMs: number;
  logger?: Logger;
  /** Hears of each death as it is declared (the jobs return the agent's leases at once). */
  onDead?: (d: { tenantId: string; clusterId: string; agentId: string }) => Promise<unknown>;
  /** Real time for pacing the membership writes (tests pass their own). */
  pacer?: Pacer;
}) {
  const { live, members, audit, clock, intervalMs } = deps;
  const pacer = deps.pacer ?? realPacer;
  const deadAfter = DEAD_AFTER_INTERVALS * intervalMs;

  async function sync(ctx: RequestContext, p: { tenantId: string; clusterId: string; agentId: string; state: string }) {
    if (p.state === 'live' || p.state === 'dead') {
      // A death keeps the agent's last beat and counters with its membership: the customer's
      // view still shows them once Redis has forgotten the agent.
      const last = p.state === 'dead' ? (await live.records(p.clusterId, [p.agentId])).get(p.agentId) : undefined;
      const kept = last ? { heartbeatAt: isoTime(last.lastSeen), stats: last.stats } : undefined;
      if (await members.setState(p.tenantId, p.clusterId, p.agentId, p.state, isoTime(clock.now()), kept)) {
        const action = p.state === 'live' ? 'agent.revived' : 'agent.died';
        await audit.record(ctx, { action, tenantId: p.tenantId, target: { type: 'agent', id: `${p.clusterId}/${p.agentId}` }, result: 'success' });
      }
    }
    await live.synced(p.clusterId, p.agentId, p.state);
  }

  return async function sweep(ctx: RequestContext) {
    const deadline = pacer.now() + SYNC_BUDGET_INTERVALS * intervalMs;
    const now = clock.now();
    const view = await live.sweepView(now - SUSPECT_AFTER_INTERVALS * intervalMs, now - deadAfter);
    const plan = planSweep(view, await live.sweepState(), now, intervalMs);
    await live.saveSweepState(plan.save.set, plan.save.remove);
    if (plan.held > 0) deps.logger?.warn({ held: plan.held, holds: plan.holds.slice(0, 20) }, 'holding agent death declarations: the silence looks like ours');

    const pending = view.flatMap((c) => c.pending.map((p) => ({ tenantId: c.tenantId, clusterId: c.clusterId, ...p })));
    let died = 0;
    for (const d of plan.deaths) {
      if (!(await live.markDead(d.clusterId, d.agentId, now - deadAfter, now - deadAfter - DEAD_KEPT_MS))) continue;
      died++;
      pending.push({ ...d, state: 'dead' });
      await deps.onDead?.(d).catch((err) => deps.logger?.warn({ clusterId: d.clusterId, agentId: d.agentId, err: (err as Error).message }, 'could not release a dead agent\'s job leases; they expire on their own'));
    }
    // Deaths above are declared at once; their records and revivals' trickle in: a mass death or
    // revival spreads over several sweeps rather than holding the process (and its heartbeats).
    const batch = pending.slice(0, SYNC_PER_SWEEP);
    const r = await pacedEach(batch, (p) => sync(ctx, p), { inFlight: SYNC_IN_FLIGHT, duty: SYNC_DUTY, deadline, pacer, atLeast: SYNC_MIN_PER_SWEEP });
    if (r.failed > 0) deps.logger?.warn({ failed: r.failed }, 'membership writes failed; they stay queued for the next sweep');
    const deferred = pending.length - batch.length + r.left;
    if (deferred > 0) deps.logger?.info({ deferred, synced: r.done }, 'membership writes left for the next sweep');
    return { died, held: plan.held, holds: plan.holds.length, synced: r.done, queued: pending.length - r.done, deferred };
  };
}
