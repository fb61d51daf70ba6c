import { conflict, unavailable } from '../../shared/errors';
import { notLeader, type SequencerContext } from './context';
import { ClusterCore } from './core';
import type { LeaseClaim } from './lease-store';
import { mayTake } from './region-policy';
import { buildEntry, encodeOps } from './ops';
import { decodeState } from './state-codec';
import { ClusterState } from './state';
import { SnapshotUnreadableError, type SnapshotPointer } from './snapshot-store';
import type { JournalLayout } from './journal-stripes';

/**
 * Becoming a cluster's leader: take the lease, load the latest snapshot, replay the journal
 * after it, append a fence entry at the first free sequence number, and only then serve.
 * Safety rests on the journal alone: whoever appends at a sequence number first wins it.
 */

/**
 * A leader trusts its lease for this fraction of its length, counted on its own clock from
 * when the take or renewal was sent; other nodes compare the stored expiry (sent + lease, on
 * the leader's clock) with their own clocks. Hence the clock-skew bound: the nodes' clocks
 * must agree within the rest, (1 − LOCAL_VALIDITY) × lease (2 s at the default 10 s lease;
 * rate drift over one lease is negligible next to it). Within the bound a successor takes over
 * only after the old leader has stopped serving by its own account. Beyond it (or during a
 * stall) safety still holds where it matters: a deposed leader's append collides in the
 * journal, and reads that must be current (latest offsets, fetches at the tail) pass the read
 * barrier (read-barrier.ts). What a deposed leader could still answer is history that never
 * changes (committed batches) and, for the excess, topic listings and descriptions.
 */
const LOCAL_VALIDITY = 0.8;

/** The largest clock difference between nodes that the lease timing tolerates (see above). */
export const maxClockSkewMs = (leaseMs: number) => Math.ceil(leaseMs * (1 - LOCAL_VALIDITY));

export interface Leadership {
  claim: LeaseClaim;
  /** Local clock time after which this node must stop serving unless it renewed. */
  validUntil: number;
}

/**
 * `regions`: a multi-region cluster's regions, in its order of preference; a free or expired
 * lease is then taken only by a node of the best region that has a healthy node (region-policy.ts).
 */
export async function acquireLease(ctx: SequencerContext, pk: string, regions?: readonly string[]): Promise<Leadership> {
  const lease = await ctx.leases.read(pk);
  // A tombstone: the cluster is being deleted, and no node may lead it again (retirement.ts).
  if (lease?.retired) throw conflict('cluster_deleting', 'The cluster is being deleted.');
  const now = ctx.clock.now();
  if (lease?.holder && lease.expiresAt > now) {
    if (lease.holder !== ctx.nodeId) throw notLeader(ctx, lease.holderAddress);
    // Our own node id: this node's previous run (a crash or restart), since two live processes
    // never share an id, or a leader handing the cluster over to this node. Take it at once
    // with a higher epoch; the journal fence stops any append the previous holder could still
    // have in flight.
    if (lease.incarnation?.startsWith('handover:')) ctx.logger.info({ cluster: pk, epoch: lease.epoch }, 'taking over a cluster handed to this node');
    else if (lease.incarnation !== ctx.incarnation) ctx.logger.info({ cluster: pk, epoch: lease.epoch }, 'taking over the lease of this node\'s previous run');
  } else if (ctx.placement && regions && regions.length > 1) {
    const decision = mayTake(ctx.placement, regions, lease, await ctx.placement.directory.view(), now);
    if (!decision.take) throw notLeader(ctx, decision.leader);
  }
  const claim: LeaseClaim = {
    holder: ctx.nodeId,
    holderAddress: ctx.advertisedAddress,
    holderRegion: ctx.region,
    incarnation: ctx.incarnation,
    epoch: (lease?.epoch ?? 0) + 1,
  };
  if (!(await ctx.leases.take(pk, lease, claim, now + ctx.leaseMs))) {
    const winner = await ctx.leases.read(pk);
    throw notLeader(ctx, winner?.holder === ctx.nodeId ? null : (winner?.holderAddress ?? null));
  }
  return { claim, validUntil: localValidity(ctx, now) };
}

export function localValidity(ctx: SequencerContext, sentAt: number): number {
  return sentAt + ctx.leaseMs * LOCAL_VALIDITY;
}

export type AppendOutcome =
  | { kind: 'appended' }
  /** A later leader wrote there: this node is deposed. */
  | { kind: 'successor'; leader: string }
  /** An earlier leader's late entry, or this node's own earlier attempt: re-read the journal. */
  | { kind: 'taken' };

/** One conditional append; on a collision, finds out whose entry holds the slot. */
export async function appendEntry(ctx: SequencerContext, home: JournalLayout, seq: number, data: Uint8Array, epoch: number, writer: string): Promise<AppendOutcome> {
  if (await ctx.journal.append(home, { seq, data, epoch, writer, leader: ctx.advertisedAddress })) return { kind: 'appended' };
  const there = await ctx.journal.get(home, seq);
  // The store retried a write that had landed: the entry is ours.
  if (there?.writer === writer) return { kind: 'appended' };
  if (there && there.epoch > epoch) return { kind: 'successor', leader: there.leader };
  return { kind: 'taken' };
}

/**
 * Snapshot plus journal tail, without taking the lease or writing anything. Should the latest
 * snapshot be unreadable (a newer one replaced it while we read, or a chunk is damaged), the
 * pointer is read again; failing that, the previous snapshot and a longer tail serve.
 */
export async function loadCluster(
  ctx: SequencerContext,
  home: JournalLayout,
): Promise<{ core: ClusterCore; lastSeq: number; pointer?: SnapshotPointer; snapshotSeq: number; snapshotMs: number }> {
  const began = performance.now();
  const { pk } = home;
  for (let attempt = 1; ; attempt++) {
    const pointer = await ctx.snapshots.readPointer(pk);
    let loaded: { state: ClusterState; seq: number } | undefined = pointer ? undefined : { state: new ClusterState(), seq: 0 };
    const candidates = !pointer ? [] : attempt === 1 || !pointer.previous ? [pointer] : [pointer, pointer.previous];
    for (const ref of candidates) {
      try {
        loaded = { state: decodeState(await ctx.snapshots.load(pk, ref)), seq: ref.seq };
        break;
      } catch (e) {
        if (!(e instanceof SnapshotUnreadableError)) throw e;
        ctx.logger.warn({ cluster: pk, seq: ref.seq, err: e }, 'snapshot unreadable');
      }
    }
    if (loaded) {
      const core = new ClusterCore(loaded.state, ctx.tuning.maxEntryBytes - 1);
      const snapshotMs = performance.now() - began;
      return { core, lastSeq: await replayTail(ctx, home, core, loaded.seq), pointer, snapshotSeq: loaded.seq, snapshotMs };
    }
    if (attempt >= 2) throw new SnapshotUnreadableError(pointer!.seq, 'neither it nor the snapshot before it can be read');
  }
}

export async function replayTail(ctx: SequencerContext, home: JournalLayout, core: ClusterCore, lastSeq: number): Promise<number> {
  for await (const entry of ctx.journal.readFrom(home, lastSeq + 1)) {
    if (entry.seq !== lastSeq + 1) throw new Error(`journal of ${home.pk} has a gap after entry ${lastSeq}`);
    core.replay(entry.data);
    lastSeq = entry.seq;
  }
  return lastSeq;
}

export interface Led {
  core: ClusterCore;
  /** How recovery went, for the logs: the snapshot it started from, the entries replayed after it. */
  recovery: { snapshotSeq: number; replayed: number; snapshotMs: number; totalMs: number };
  /** The sequence number of the next append. */
  nextSeq: number;
  pointer?: SnapshotPointer;
}

/** Recovers the state and fences the journal with this leadership's epoch. */
export async function takeOver(ctx: SequencerContext, home: JournalLayout, lead: Leadership): Promise<Led> {
  const began = performance.now();
  const { core, lastSeq, pointer, snapshotSeq, snapshotMs } = await loadCluster(ctx, home);
  const fence = buildEntry([encodeOps([{ type: 'fence', epoch: lead.claim.epoch, holder: ctx.nodeId, at: ctx.clock.now() }])]);
  let seq = lastSeq;
  for (;;) {
    if (ctx.clock.now() >= lead.validUntil) throw notLeader(ctx, null);
    const outcome = await appendEntry(ctx, home, seq + 1, fence, lead.claim.epoch, ctx.nextWriter());
    if (outcome.kind === 'appended') {
      return { core, nextSeq: seq + 2, pointer, recovery: { snapshotSeq, replayed: seq - snapshotSeq, snapshotMs, totalMs: performance.now() - began } };
    }
    if (outcome.kind === 'successor') throw notLeader(ctx, outcome.leader);
    const before = seq;
    seq = await replayTail(ctx, home, core, seq);
    if (seq === before) throw unavailable('store_unavailable', 'The journal reported a taken slot it does not list; retry.');
  }
}
