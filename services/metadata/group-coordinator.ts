import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { AppError } from '../../shared/errors';
import type { GroupMembership } from './group-offsets';
import type { HeartbeatInput, JoinInput, JoinResult, LeaveResult, GroupSettings, SyncInput, SyncResult } from './group-protocol';
import {
  durableMembers,
  emptyGroup,
  joinAnswer,
  newMember,
  restoredGroup,
  sameMetadata,
  selectProtocol,
  supportsProtocols,
  syncAnswer,
  settle,
  finish,
  fail,
  joinError,
  syncError,
  type LiveGroup,
  type Member,
  type WaitBudget,
  type Waiter,
} from './group-live';
import type { Op } from './ops';
import type { ClusterState } from './state';
import type { GroupError } from './types';

/**
 * The classic Kafka group coordinator for one cluster, held by the cluster's leader so that
 * any agent can act as coordinator for its clients. Membership, session deadlines and waiting
 * requests live here, in memory; a completed join (generation, protocol, leader, members) and
 * the leader's assignment are journaled before anyone is told of them, so a new leader
 * resumes the group from the journal and members carry on (or rejoin if needed).
 *
 * Joins and syncs are long polls, answered when the rebalance gets there, but no request waits
 * longer than `maxWaitMs` (answered "still waiting" so the agent sends it again) and a node
 * holds at most `maxWaiting` of them: each costs one parked promise and its socket.
 */
export interface CoordinatorEnv {
  clock: Clock;
  settings: GroupSettings;
  budget: WaitBudget;
  /** The durable state (groups' records); read, never written, here. */
  state(): ClusterState;
  /** Journals operations; resolves once durable. */
  persist(ops: Op[]): Promise<void>;
}

export class GroupCoordinator implements GroupMembership {
  private readonly groups = new Map<string, LiveGroup>();
  private readonly timer: NodeJS.Timeout;
  private stopped: AppError | null = null;

  constructor(private readonly env: CoordinatorEnv) {
    const now = env.clock.now();
    for (const record of env.state().groups.values()) if (record.members.length > 0) this.groups.set(record.name, restoredGroup(record, now));
    this.timer = setInterval(() => this.tick(this.env.clock.now()), env.settings.tickMs);
    this.timer.unref();
  }

  /** The leader stopped: every waiting request fails with its reason (retryable). */
  dispose(reason: AppError): void {
    this.stopped = reason;
    clearInterval(this.timer);
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        if (m.join) settle(m, 'join').reject(reason);
        if (m.sync) settle(m, 'sync').reject(reason);
      }
    }
    this.groups.clear();
  }

  private live(name: string): LiveGroup | undefined {
    let g = this.groups.get(name);
    const record = this.env.state().groups.get(name);
    if (!g && record) this.groups.set(name, (g = emptyGroup(name, record)));
    return g;
  }

  join(name: string, input: JoinInput, signal?: AbortSignal): Promise<JoinResult> | JoinResult {
    const now = this.env.clock.now();
    const s = this.env.settings;
    if (input.sessionTimeoutMs < s.minSessionTimeoutMs || input.sessionTimeoutMs > s.maxSessionTimeoutMs) return joinError('INVALID_SESSION_TIMEOUT', input.memberId);
    let g = this.live(name);
    if (!g) this.groups.set(name, (g = emptyGroup(name, undefined)));
    const names = input.protocols.map((p) => p.name);
    if (input.memberId === '') {
      if (!supportsProtocols(g, input.protocolType, names)) return joinError('INCONSISTENT_GROUP_PROTOCOL', '');
      if (g.members.size + g.pending.size >= s.maxGroupSize) return joinError('GROUP_MAX_SIZE_REACHED', '');
      const id = `${input.clientId || 'member'}-${randomUUID()}`;
      if (input.groupInstanceId === null) {
        // Kafka's two-step join: the member learns its id first, and comes back with it.
        g.pending.set(id, now + input.sessionTimeoutMs);
        return joinError('MEMBER_ID_REQUIRED', id);
      }
      // A static member (re)joining: its previous incarnation is fenced and replaced.
      for (const old of g.members.values()) if (old.instanceId === input.groupInstanceId) this.remove(g, old, 'FENCED_INSTANCE_ID');
      return this.addAndWait(g, newMember(id, input, now), now, signal);
    }
    if (g.pending.delete(input.memberId)) {
      if (!supportsProtocols(g, input.protocolType, names)) return joinError('INCONSISTENT_GROUP_PROTOCOL', input.memberId);
      return this.addAndWait(g, newMember(input.memberId, input, now), now, signal);
    }
    const m = g.members.get(input.memberId);
    if (!m) return joinError('UNKNOWN_MEMBER_ID', input.memberId);
    if (input.groupInstanceId !== null && m.instanceId !== input.groupInstanceId) return joinError('FENCED_INSTANCE_ID', input.memberId);
    const others = { ...g, members: new Map([...g.members].filter(([id]) => id !== m.id)) };
    if (!supportsProtocols(others, input.protocolType, names)) return joinError('INCONSISTENT_GROUP_PROTOCOL', input.memberId);
    m.deadline = now + m.sessionTimeoutMs;
    const unchanged = sameMetadata(m, input);
    if (g.phase === 'CompletingRebalance' && unchanged) return this.answerJoinWhenDurable(g, m, now, signal);
    if (g.phase === 'Stable' && unchanged && g.leader !== m.id) return joinAnswer(g, m);
    Object.assign(m, { protocolType: input.protocolType, protocols: input.protocols, sessionTimeoutMs: input.sessionTimeoutMs, rebalanceTimeoutMs: input.rebalanceTimeoutMs });
    if (g.phase !== 'PreparingRebalance') this.prepareRebalance(g, now);
    return this.joinAndWait(g, m, now, signal);
  }

  private addAndWait(g: LiveGroup, m: Member, now: number, signal?: AbortSignal): Promise<JoinResult> {
    g.members.set(m.id, m);
    if (g.phase !== 'PreparingRebalance') this.prepareRebalance(g, now);
    return this.joinAndWait(g, m, now, signal);
  }

  private joinAndWait(g: LiveGroup, m: Member, now: number, signal?: AbortSignal): Promise<JoinResult> {
    m.joined = true;
    const answer = this.park(m, 'join', now, signal);
    this.tryCompleteJoin(g, now);
    return answer;
  }

  /** A member asking again for the join it completed (its answer was lost, or capped). */
  private answerJoinWhenDurable(g: LiveGroup, m: Member, now: number, signal?: AbortSignal): Promise<JoinResult> | JoinResult {
    if (g.joinedDurable) return joinAnswer(g, m);
    return this.park(m, 'join', now, signal);
  }

  sync(name: string, input: SyncInput, signal?: AbortSignal): Promise<SyncResult> | SyncResult {
    const now = this.env.clock.now();
    const g = this.live(name);
    const m = g?.members.get(input.memberId);
    if (!g || !m) return syncError('UNKNOWN_MEMBER_ID');
    if (input.groupInstanceId !== null && m.instanceId !== input.groupInstanceId) return syncError('FENCED_INSTANCE_ID');
    if (input.generationId !== g.generation) return syncError('ILLEGAL_GENERATION');
    if ((input.protocolType !== null && input.protocolType !== g.protocolType) || (input.protocolName !== null && input.protocolName !== g.protocol)) {
      return syncError('INCONSISTENT_GROUP_PROTOCOL');
    }
    if (g.phase === 'PreparingRebalance') return syncError('REBALANCE_IN_PROGRESS');
    m.deadline = now + m.sessionTimeoutMs;
    if (g.phase === 'Stable') return syncAnswer(g, m);
    const answer = this.park(m, 'sync', now, signal);
    if (g.leader === m.id && !g.assigning) this.assign(g, input.assignments);
    return answer;
  }

  heartbeat(name: string, input: HeartbeatInput): { error?: GroupError } {
    const now = this.env.clock.now();
    const g = this.live(name);
    const m = g?.members.get(input.memberId);
    if (!g || !m) return { error: 'UNKNOWN_MEMBER_ID' };
    if (input.groupInstanceId !== null && m.instanceId !== input.groupInstanceId) return { error: 'FENCED_INSTANCE_ID' };
    if (input.generationId !== g.generation) return { error: 'ILLEGAL_GENERATION' };
    m.deadline = now + m.sessionTimeoutMs;
    return g.phase === 'PreparingRebalance' ? { error: 'REBALANCE_IN_PROGRESS' } : {};
  }

  leave(name: string, members: { memberId: string; groupInstanceId: string | null }[]): LeaveResult {
    const now = this.env.clock.now();
    const g = this.live(name);
    const out: LeaveResult['members'] = [];
    let removed = false;
    let removedPending = false;
    for (const who of members) {
      const m = g && (who.memberId !== '' ? g.members.get(who.memberId) : [...g.members.values()].find((x) => x.instanceId === who.groupInstanceId));
      // A member that never completed its join leaves without disturbing the others.
      if (g && !m && who.memberId !== '' && g.pending.delete(who.memberId)) {
        out.push({ ...who });
        removedPending = true;
        continue;
      }
      if (!g || !m) {
        out.push({ ...who, error: 'UNKNOWN_MEMBER_ID' });
        continue;
      }
      if (who.groupInstanceId !== null && m.instanceId !== who.groupInstanceId) {
        out.push({ ...who, error: 'FENCED_INSTANCE_ID' });
        continue;
      }
      this.remove(g, m, 'UNKNOWN_MEMBER_ID');
      out.push({ ...who });
      removed = true;
    }
    if (g && removed) this.afterRemoval(g, now);
    else if (g && removedPending) this.tryCompleteJoin(g, now);
    return { members: out };
  }

  /** Members leaving, timing out or being fenced: the rest rebalance. */
  private afterRemoval(g: LiveGroup, now: number): void {
    if (g.phase === 'Stable' || g.phase === 'CompletingRebalance') this.prepareRebalance(g, now);
    this.tryCompleteJoin(g, now);
  }

  private remove(g: LiveGroup, m: Member, error: GroupError): void {
    g.members.delete(m.id);
    if (m.join) settle(m, 'join').resolve(joinError(error, m.id));
    if (m.sync) settle(m, 'sync').resolve(syncError(error));
  }

  private prepareRebalance(g: LiveGroup, now: number): void {
    const fromEmpty = g.phase === 'Empty';
    for (const m of g.members.values()) {
      m.joined = false;
      if (m.sync) settle(m, 'sync').resolve(syncError('REBALANCE_IN_PROGRESS'));
    }
    let timeout = 0;
    for (const m of g.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
    g.phase = 'PreparingRebalance';
    g.assigning = false;
    g.earliest = fromEmpty ? now + this.env.settings.initialRebalanceDelayMs : now;
    g.deadline = Math.max(g.earliest, now + timeout);
  }

  private tryCompleteJoin(g: LiveGroup, now: number): void {
    if (g.phase !== 'PreparingRebalance' || now < g.earliest) return;
    const allJoined = g.pending.size === 0 && [...g.members.values()].every((m) => m.joined);
    if (allJoined || now >= g.deadline) this.completeJoin(g, now);
  }

  private completeJoin(g: LiveGroup, now: number): void {
    for (const m of [...g.members.values()]) if (!m.joined) this.remove(g, m, 'UNKNOWN_MEMBER_ID');
    g.pending.clear();
    g.generation++;
    const generation = g.generation;
    const answered: [Member, Waiter<JoinResult>][] = [];
    if (g.members.size === 0) {
      Object.assign(g, { phase: 'Empty', protocol: null, leader: null, joinedDurable: false });
    } else {
      g.protocol = selectProtocol(g);
      g.protocolType = [...g.members.values()][0].protocolType;
      if (g.leader === null || !g.members.has(g.leader)) g.leader = g.members.keys().next().value!;
      Object.assign(g, { phase: 'CompletingRebalance', joinedDurable: false });
      for (const m of g.members.values()) {
        m.joined = false;
        m.assignment = null;
        m.deadline = now + m.sessionTimeoutMs;
        if (m.join) answered.push([m, settle(m, 'join', false)]);
      }
    }
    const answers = answered.map(([m, w]) => [w, joinAnswer(g, m)] as const);
    const op: Op = {
      type: 'groupJoined',
      group: g.name,
      generation,
      protocolType: g.protocolType ?? '',
      protocol: g.protocol ?? '',
      leader: g.leader ?? '',
      members: durableMembers(g),
      at: now,
    };
    this.env.persist([op]).then(
      () => {
        for (const [w, a] of answers) finish(w, a);
        if (g.generation !== generation) return;
        g.joinedDurable = true;
        // Members that asked again while the join was being journaled.
        if (g.phase !== 'PreparingRebalance') for (const m of g.members.values()) if (m.join) settle(m, 'join').resolve(joinAnswer(g, m));
      },
      (e: AppError) => {
        for (const [w] of answers) fail(w, e);
      },
    );
  }

  private assign(g: LiveGroup, assignments: SyncInput['assignments']): void {
    g.assigning = true;
    const generation = g.generation;
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    const list = [...g.members.keys()].map((memberId) => ({ memberId, assignment: given.get(memberId) ?? new Uint8Array(0) }));
    this.env.persist([{ type: 'groupAssigned', group: g.name, generation, assignments: list }]).then(
      () => {
        if (g.generation !== generation || g.phase !== 'CompletingRebalance') return;
        const byId = new Map(list.map((a) => [a.memberId, a.assignment]));
        g.phase = 'Stable';
        g.assigning = false;
        for (const m of g.members.values()) {
          m.assignment = byId.get(m.id) ?? new Uint8Array(0);
          if (m.sync) settle(m, 'sync').resolve(syncAnswer(g, m));
        }
      },
      () => undefined, // the leader is gone; dispose() fails the waiting syncs
    );
  }

  /** Expires sessions, completes rebalances whose time is up, answers requests at their cap. */
  tick(now: number): void {
    if (this.stopped) return;
    for (const g of [...this.groups.values()]) {
      let removed = false;
      for (const [id, deadline] of g.pending) if (deadline <= now) g.pending.delete(id);
      for (const m of [...g.members.values()]) {
        if (m.join && m.join.capAt <= now) settle(m, 'join').resolve({ waiting: true, memberId: m.id });
        if (m.sync && m.sync.capAt <= now) settle(m, 'sync').resolve({ waiting: true, memberId: m.id });
        // A member that joined the rebalance in progress is kept until it completes.
        if (m.deadline <= now && !(g.phase === 'PreparingRebalance' && m.joined)) {
          this.remove(g, m, 'UNKNOWN_MEMBER_ID');
          removed = true;
        }
      }
      if (removed) this.afterRemoval(g, now);
      else this.tryCompleteJoin(g, now);
      if (g.phase === 'Empty' && g.members.size === 0 && g.pending.size === 0 && g.joinedDurable) this.groups.delete(g.name);
    }
  }

  private park<K extends 'join' | 'sync'>(m: Member, kind: K, now: number, signal?: AbortSignal): Promise<K extends 'join' ? JoinResult : SyncResult> {
    if (this.stopped) return Promise.reject(this.stopped);
    const previous = m[kind];
    if (previous) settle(m, kind).resolve({ waiting: true, memberId: m.id });
    this.env.budget.take();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (m[kind] === waiter) settle(m, kind);
      };
      let released = false;
      const waiter = {
        resolve,
        reject,
        capAt: now + this.env.settings.maxWaitMs,
        release: () => {
          if (released) return;
          released = true;
          this.env.budget.count--;
          signal?.removeEventListener('abort', onAbort);
        },
      } as unknown as Waiter<JoinResult> & Waiter<SyncResult>;
      m[kind] = waiter;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // GroupMembership: what offset commits and group deletion are checked against.

  checkCommit(name: string, generation: number, memberId: string, instanceId: string | null): GroupError | null {
    const g = this.live(name);
    if (!g) return generation < 0 ? null : 'ILLEGAL_GENERATION';
    if (generation < 0 && g.phase === 'Empty') return null;
    if (g.phase === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    const m = g.members.get(memberId);
    if (!m) return instanceId !== null && [...g.members.values()].some((x) => x.instanceId === instanceId) ? 'FENCED_INSTANCE_ID' : 'UNKNOWN_MEMBER_ID';
    if (instanceId !== null && m.instanceId !== instanceId) return 'FENCED_INSTANCE_ID';
    if (generation !== g.generation) return 'ILLEGAL_GENERATION';
    m.deadline = this.env.clock.now() + m.sessionTimeoutMs;
    return null;
  }

  hasMembers(name: string): boolean {
    const g = this.groups.get(name);
    return !!g && (g.members.size > 0 || g.pending.size > 0);
  }

  /** Groups held in memory (some not journaled yet: their first rebalance is under way). */
  names(): string[] {
    return [...this.groups.keys()];
  }

  exists(name: string): boolean {
    return this.groups.has(name) || this.env.state().groups.has(name);
  }

  forget(name: string): void {
    if (!this.hasMembers(name)) this.groups.delete(name);
  }

  /** What the customer view shows of a group's live state. */
  describe(name: string): { phase: LiveGroup['phase']; generation: number; protocolType: string; protocol: string; leader: string; members: Member[] } | undefined {
    const g = this.groups.get(name);
    const record = this.env.state().groups.get(name);
    if (!g && !record) return undefined;
    if (!g) return { phase: 'Empty', generation: record!.generation, protocolType: record!.protocolType, protocol: '', leader: '', members: [] };
    return { phase: g.phase, generation: g.generation, protocolType: g.protocolType ?? '', protocol: g.protocol ?? '', leader: g.leader ?? '', members: [...g.members.values()] };
  }
}
