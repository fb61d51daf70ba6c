import { isAppError, unavailable, type AppError } from '../../shared/errors';
import { notLeader, type SequencerContext } from './context';
import { isLeaderBound, type ClusterCore, type WriteRequest } from './core';
import { formEntries, type FormedEntry, type Pending } from './group-commit';
import { LeaderDuties } from './leader-duties';
import { acquireLease, appendEntry, localValidity, takeOver, type Leadership } from './leadership';
import { journalLayout, type JournalLayout } from './journal-stripes';
import { buildEntry } from './ops';
import { ReadBarrier } from './read-barrier';
import { LeaderWatch, type Move } from './region-policy';
import { Snapshotter } from './snapshotter';
import { StoreLatency } from '../../shared/store-latency';
import type { ClusterRef } from './types';

/**
 * The leader of one cluster. Writes queue up; while one journal append is in flight the
 * next group gathers. A group is planned and applied to the in-memory state when it is
 * formed, then appended (as one or more entries) and answered only once durable. Reads run
 * only between groups, so they never see what is not durable yet. Any failed append or
 * renewal stops this leader at once: unanswered requests get a retryable 503, and the state,
 * which may now be ahead of the journal, is dropped (a successor reloads it from the store).
 */
interface Reader {
  run(core: ClusterCore): void;
  fail(reason: unknown): void;
}

export type StopHandler = (stopped: Sequencer, leftovers: Pending[], reason: AppError) => void;

type Phase = 'starting' | 'serving' | 'stopped';

export class Sequencer {
  private phase: Phase = 'starting';
  private core: ClusterCore | undefined;
  private lead: Leadership | undefined;
  private nextSeq = 0;
  private queue: Pending[] = [];
  /** Requests of the group being appended, in order, not yet answered. */
  private unsettled: Pending[] = [];
  private readers: Reader[] = [];
  private busy = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private snapshotter: Snapshotter | undefined;
  private stopReason: AppError | undefined;
  private readonly started: Promise<void>;
  private readonly barrier = new ReadBarrier(() => this.confirmLeading());
  private readonly ctx: SequencerContext;
  /** Multi-region clusters only: where the cluster belongs, and how this leader's store round trips fare. */
  private readonly watch: LeaderWatch | undefined;
  /** The last 20 journal appends and lease renewals (at most 5 s old): a sick link shows within a second or two. */
  private readonly roundTrips = new StoreLatency(5000, 20);
  /** Set while this leader hands the cluster to a successor: no new group starts. */
  private handingOver: Promise<void> | undefined;
  /** Group coordination, maintenance and trimming, while serving (leader-duties.ts). */
  private duties: LeaderDuties | undefined;
  private cluster: ClusterRef | undefined;
  /** Where the journal's slots live: fixed for the cluster's life (journal-stripes.ts). */
  readonly journal: JournalLayout;

  constructor(
    ctx: SequencerContext,
    readonly pk: string,
    private readonly onStop: StopHandler,
    /** The cluster's regions, in its order of preference. */
    readonly regions: readonly string[] = [],
    /** The cluster's journal stripe count (its cluster item's `journalStripes`; absent: 1). */
    stripes = 1,
  ) {
    this.journal = journalLayout(pk, stripes);
    const p = ctx.placement;
    // Multi-region clusters run on a short lease, so that losing the leader's region costs seconds.
    this.ctx = p && regions.length > 1 ? { ...ctx, leaseMs: p.leaseMs, renewEveryMs: p.renewEveryMs } : ctx;
    this.watch = p && regions.length > 1 ? new LeaderWatch(p, regions) : undefined;
    this.started = this.start();
  }

  /** Takes over requests another sequencer of this cluster could not start on. */
  adopt(pendings: Pending[]): void {
    if (this.phase === 'stopped') {
      for (const p of pendings) p.reject(this.stopReason);
      return;
    }
    this.queue.push(...pendings);
    if (this.phase === 'serving') void this.pump();
  }

  get status() {
    return { phase: this.phase, epoch: this.lead?.claim.epoch ?? 0, nextSeq: this.nextSeq, queued: this.queue.length };
  }

  private async start(): Promise<void> {
    try {
      const lead = await acquireLease(this.ctx, this.pk, this.watch?.regions);
      const takenAt = this.ctx.clock.now();
      if (this.phase !== 'starting') return;
      this.lead = lead;
      // Keep the lease while loading: a large snapshot can take longer than a lease period.
      this.scheduleRenewal();
      const led = await takeOver(this.ctx, this.journal, lead);
      if (this.ctx.hooks) await this.ctx.hooks.step();
      if (this.phase !== 'starting') return;
      this.core = led.core;
      this.nextSeq = led.nextSeq;
      this.snapshotter = new Snapshotter(this.ctx, this.pk, led.pointer);
      this.phase = 'serving';
      this.duties = new LeaderDuties(this.ctx, this.journal, this.dutyHost(), { fenceSeq: led.nextSeq - 1, takenAt });
      const { snapshotSeq, replayed, snapshotMs, totalMs } = led.recovery;
      this.ctx.logger.info(
        { cluster: this.pk, epoch: lead.claim.epoch, nextSeq: this.nextSeq, snapshotSeq, replayed, snapshotMs: Math.round(snapshotMs), recoveryMs: Math.round(totalMs) },
        'leading cluster',
      );
      void this.pump();
    } catch (e) {
      this.stop(asRetryable(this.ctx, e, 'taking over the cluster'), false);
    }
  }

  write(req: WriteRequest): Promise<unknown> {
    if (this.phase === 'stopped') return Promise.reject(this.stopReason);
    this.cluster = req.cluster;
    if (this.queue.length >= this.ctx.tuning.maxQueuedRequests) {
      return Promise.reject(unavailable('sequencer_busy', 'Too many metadata requests are waiting for this cluster; retry shortly.'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      if (this.phase === 'serving') void this.pump();
    });
  }

  /** Runs `fn` against durable state only: now when idle, else between two groups. */
  async read<T>(fn: (core: ClusterCore) => T): Promise<T> {
    if (this.ctx.hooks) await this.ctx.hooks.step();
    if (this.phase === 'serving' && !this.busy) {
      if (!this.leaseValid()) throw this.lapse();
      return fn(this.core!);
    }
    if (this.phase === 'stopped') throw this.stopReason;
    return new Promise<T>((resolve, reject) => {
      this.readers.push({
        run: (core) => {
          try {
            resolve(fn(core));
          } catch (e) {
            reject(e);
          }
        },
        fail: reject,
      });
    });
  }

  /**
   * A read that a deposed leader must not answer (see read-barrier.ts): computed like `read`,
   * then confirmed against the journal when `needsBarrier` says the answer depends on being
   * current (the latest offset, nothing new at the tail).
   */
  async readFresh<T>(fn: (core: ClusterCore) => T, needsBarrier: (answer: T) => boolean = () => true): Promise<T> {
    const answer = await this.read(fn);
    if (needsBarrier(answer)) await this.barrier.pass();
    return answer;
  }

  /** The barrier's store read: the slot after this leader's last entry holds nothing of a successor. */
  private async confirmLeading(): Promise<void> {
    if (this.phase !== 'serving') throw this.stopReason ?? notLeader(this.ctx, null);
    const seq = this.nextSeq;
    const epoch = this.lead!.claim.epoch;
    let there;
    try {
      there = await this.ctx.journal.get(this.journal, seq);
    } catch (e) {
      throw asRetryable(this.ctx, e, 'confirming leadership for a read');
    }
    if (this.ctx.hooks) await this.ctx.hooks.step();
    // Empty, or this leader's own entry in flight: no successor had written when we answered.
    if (!there || there.epoch === epoch) return;
    if (there.epoch > epoch) {
      this.stop(notLeader(this.ctx, there.leader), false);
      throw this.stopReason!;
    }
    throw unavailable('store_unavailable', 'The journal holds an entry this leader did not expect; retry.');
  }

  private async pump(): Promise<void> {
    if (this.busy || this.phase !== 'serving') return;
    this.busy = true;
    try {
      for (;;) {
        if (this.ctx.hooks) await this.ctx.hooks.step();
        if (this.phase !== 'serving') return;
        if (!this.leaseValid()) return void this.lapse();
        // Between groups the state is exactly what the journal holds.
        const readers = this.readers;
        this.readers = [];
        for (const r of readers) r.run(this.core!);
        this.snapshotter!.maybeStart(this.core!.state, this.nextSeq - 1);
        if (this.handingOver || this.queue.length === 0) return;
        const entries = this.form(this.queue.splice(0, this.ctx.tuning.maxGroupRequests));
        if (!entries) return;
        for (const entry of entries) {
          if (entry.parts.length > 0 && !(await this.append(entry))) return;
          this.unsettled.splice(0, entry.pendings.length);
          for (const p of entry.pendings) p.resolve(p.answer);
        }
      }
    } catch (e) {
      this.ctx.logger.error({ err: e, cluster: this.pk }, 'metadata sequencer fault');
      this.stop(unavailable('sequencer_fault', 'The metadata sequencer hit an internal fault and is reloading; retry.'), true);
    } finally {
      this.busy = false;
    }
  }

  /** Plans and applies the group; a state-machine fault drops the state (the successor reloads it). */
  private form(group: Pending[]): FormedEntry[] | null {
    const { entries, fault } = formEntries(this.core!, group, this.ctx.clock.now(), this.ctx.tuning.maxEntryBytes - 1);
    for (const entry of entries) this.unsettled.push(...entry.pendings);
    if (!fault) return entries;
    this.ctx.logger.error({ err: fault.error, cluster: this.pk }, 'metadata state machine fault');
    group[fault.at].reject(fault.error);
    this.queue.unshift(...group.slice(fault.at + 1));
    this.stop(unavailable('sequencer_fault', 'The metadata sequencer hit an internal fault and is reloading; retry.'), true);
    return null;
  }

  private async append(entry: FormedEntry): Promise<boolean> {
    if (!this.leaseValid()) {
      this.lapse();
      return false;
    }
    const seq = this.nextSeq;
    let outcome;
    const began = performance.now();
    try {
      outcome = await appendEntry(this.ctx, this.journal, seq, buildEntry(entry.parts), this.lead!.claim.epoch, this.ctx.nextWriter());
      this.roundTrips.record(performance.now() - began);
    } catch (e) {
      if (this.ctx.hooks) await this.ctx.hooks.step();
      // The entry may or may not have landed: reload from the store before serving again.
      this.stop(asRetryable(this.ctx, e, 'appending to the journal'), true);
      return false;
    }
    if (this.ctx.hooks) await this.ctx.hooks.step();
    if (this.phase !== 'serving') return false;
    if (outcome.kind === 'appended') {
      this.nextSeq = seq + 1;
      this.snapshotter!.noteAppended(entry.size);
      // Acknowledge only what landed while the lease was valid (journal-trimmer.ts says why).
      if (!this.leaseValid()) {
        this.lapse();
        return false;
      }
      return true;
    }
    if (outcome.kind === 'successor') this.stop(notLeader(this.ctx, outcome.leader), false);
    else this.stop(unavailable('store_unavailable', 'The journal moved on without this leader; it is reloading. Retry.'), true);
    return false;
  }

  private leaseValid(): boolean {
    return this.ctx.clock.now() < this.lead!.validUntil;
  }

  /** The lease ran out before it was renewed (a stall): stop, and let a fresh start re-acquire it. */
  private lapse(): AppError {
    this.stop(notLeader(this.ctx, null), true);
    return this.stopReason!;
  }

  private scheduleRenewal(): void {
    this.renewTimer = setTimeout(() => void this.renew(), this.ctx.renewEveryMs);
    this.renewTimer.unref();
  }

  private get stopped(): boolean {
    return this.phase === 'stopped';
  }

  private async renew(): Promise<void> {
    if (this.ctx.hooks) await this.ctx.hooks.step();
    // A hand-over in progress ends this leadership either way.
    if (this.stopped || this.handingOver) return;
    const sentAt = this.ctx.clock.now();
    const began = performance.now();
    let renewed: boolean;
    try {
      renewed = await this.ctx.leases.renew(this.pk, this.lead!.claim, sentAt + this.ctx.leaseMs);
      this.roundTrips.record(performance.now() - began);
    } catch (e) {
      if (this.ctx.hooks) await this.ctx.hooks.step();
      return this.stop(asRetryable(this.ctx, e, 'renewing the lease'), true);
    }
    if (this.ctx.hooks) await this.ctx.hooks.step();
    if (this.stopped) return;
    if (!renewed) return this.stop(notLeader(this.ctx, null), false);
    this.lead!.validUntil = localValidity(this.ctx, sentAt);
    // Time-based snapshots of a quiet cluster happen here; busy ones snapshot between groups.
    if (this.phase === 'serving' && !this.busy) this.snapshotter!.maybeStart(this.core!.state, this.nextSeq - 1);
    this.scheduleRenewal();
    if (this.watch && this.phase === 'serving' && !this.handingOver) await this.checkPlacement();
  }

  /** Multi-region: hands the cluster over when it belongs elsewhere (drained, degraded, or a better region is back). */
  private async checkPlacement(): Promise<void> {
    const p = this.ctx.placement!;
    let move: Move | undefined;
    try {
      // p90, not p99: on a busy machine single round trips spike; a sick link slows most of them.
      // At least 8 samples: a quiet cluster (renewals only) does not move for a few slow ones.
      const { samples, p90Ms } = this.roundTrips.summary();
      move = this.watch!.check(await p.directory.view(), this.ctx.clock.now(), samples >= 8 && p90Ms > p.latencyBudgetMs);
    } catch (e) {
      this.ctx.logger.warn({ err: e, cluster: this.pk }, 'could not read the region registry; leadership stays');
      return;
    }
    if (move && this.phase === 'serving' && !this.handingOver) {
      this.handingOver = this.handOver(move);
      await this.handingOver;
    }
  }

  /**
   * A planned move: no new group starts, the one in flight is answered, then the lease names
   * the successor (who takes it at once) and the queued requests are told where it went.
   */
  private async handOver({ to, reason }: Move): Promise<void> {
    if (this.busy) await this.read(() => undefined).catch(() => undefined);
    if (this.phase !== 'serving') return;
    let handed: boolean;
    try {
      handed = await this.ctx.leases.handOver(this.pk, this.lead!.claim, { nodeId: to.nodeId, address: to.address, region: to.region }, this.ctx.clock.now() + this.ctx.leaseMs);
    } catch (e) {
      return this.stop(asRetryable(this.ctx, e, 'handing the lease over'), true);
    }
    if (!handed) return this.stop(notLeader(this.ctx, null), false);
    const { p90Ms } = this.roundTrips.summary();
    this.ctx.logger.info({ cluster: this.pk, to: to.nodeId, region: to.region, reason, roundTripP90Ms: Math.round(p90Ms) }, 'handed the cluster over');
    this.stop(notLeader(this.ctx, to.address), false);
  }

  /** Writes a snapshot of the durable state now; resolves with its sequence number. */
  async snapshotNow(): Promise<number> {
    for (;;) {
      await this.snapshotter?.idle();
      const task = await this.read(() => this.snapshotter!.start(this.core!.state, this.nextSeq - 1));
      if (task !== null) return task;
    }
  }

  private stop(reason: AppError, handover: boolean): void {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.stopReason = reason;
    clearTimeout(this.renewTimer);
    this.duties?.stop(reason);
    for (const p of this.unsettled) p.reject(reason);
    this.unsettled = [];
    for (const r of this.readers) r.fail(reason);
    this.readers = [];
    let leftovers = this.queue;
    this.queue = [];
    // Work formed by this leader's coordinator or planner does not carry over to another.
    for (const p of leftovers) if (!handover || isLeaderBound(p.req)) p.reject(reason);
    if (handover) leftovers = leftovers.filter((p) => !isLeaderBound(p.req));
    this.ctx.logger.warn({ cluster: this.pk, code: reason.code }, 'stopped leading cluster');
    this.onStop(this, handover ? leftovers : [], reason);
  }

  /** This leader's duties once it serves; the stop reason if it stopped instead. */
  async leader(): Promise<LeaderDuties> {
    await this.started;
    if (this.phase !== 'serving') throw this.stopReason ?? notLeader(this.ctx, null);
    return this.duties!;
  }

  /** Remembers the cluster's description for duties that run without a request. */
  noteCluster(cluster: ClusterRef): void {
    this.cluster = cluster;
  }

  private dutyHost() {
    return {
      write: (req: WriteRequest) => this.write(req),
      state: () => this.core!.state,
      lastCluster: () => this.cluster,
      snapshotPointer: () => this.snapshotter?.latest,
    };
  }

  /** Crash simulation: stop without finishing, snapshotting or releasing anything. */
  halt(): void {
    this.stop(unavailable('node_stopped', 'The metadata node stopped.'), false);
  }

  /** Graceful: answer what is queued, finish a snapshot in progress, release the lease. */
  async close(): Promise<void> {
    await this.started;
    await this.handingOver;
    while (this.phase === 'serving' && (this.queue.length > 0 || this.busy)) await this.read(() => undefined).catch(() => undefined);
    if (this.phase !== 'serving') return;
    this.stop(unavailable('shutting_down', 'The metadata node is shutting down; retry.'), false);
    await this.snapshotter?.idle();
    await this.duties?.idle();
    try {
      await this.ctx.leases.release(this.pk, this.lead!.claim);
    } catch (e) {
      this.ctx.logger.warn({ err: e, cluster: this.pk }, 'could not release the lease; it will expire');
    }
  }
}

function asRetryable(ctx: SequencerContext, e: unknown, doing: string): AppError {
  if (isAppError(e)) return e;
  ctx.logger.error({ err: e }, `metadata store error while ${doing}`);
  return unavailable('store_unavailable', `The metadata store failed while ${doing}; retry.`);
}
