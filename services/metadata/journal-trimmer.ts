import type { SequencerContext } from './context';
import type { JournalLayout } from './journal-stripes';
import type { SnapshotPointer } from './snapshot-store';

/**
 * Deletes journal entries that recovery no longer reads, and snapshots older than the last
 * two, in the background on the leader, a bounded number per pass.
 *
 * What may go: entries up to the snapshot *before* the latest. Recovery reads the latest
 * snapshot and the entries after it, and falls back to the previous snapshot and the entries
 * after that one when the latest cannot be read; both need nothing older.
 *
 * What must stay, and why. The journal's fence is `attribute_not_exists(sk)`: a deposed
 * leader's next append lands on a slot its successor already filled, and fails. A *deleted*
 * slot is empty again, so a deposed leader appending there would succeed, below the snapshot
 * where no one reads it: if it then acknowledged, that write would be lost. Which slots can a
 * deposed leader of epoch e still write? It appends only at its next sequence number, one
 * slot at a time, so its slots are all below the first entry of the epoch that followed it
 * (that leader's fence, at F), except that its next attempt targets F itself. Two rules keep
 * such an append from ever being acknowledged:
 *
 *  1. A leader acknowledges an append only if the store's answer reached it while its lease
 *     was still valid by its own clock (sequencer.ts checks after every append). Its local
 *     validity ends a fifth of a lease before the lease's recorded expiry, and a successor
 *     takes the lease only once that expiry has passed by its own clock. So, as long as
 *     clocks differ by less than a fifth of the lease (the margin leadership.ts keeps), every
 *     append a deposed leader acknowledges had its answer before the successor took over, and
 *     so landed before the successor read the journal: it is inside the successor's replay.
 *     Nothing this trimmer deletes (it runs on the successor, after the takeover) can be
 *     filled by an append whose answer is still acknowledged, however long that append was
 *     delayed or stalled on the way (a paused process, a request retried by the SDK).
 *
 *  2. Belt and braces against clocks worse than that margin: for `trimProtectMs` (two leases
 *     by default) after taking over, a leader keeps its own fence entry and everything after
 *     it, whatever the snapshots say. Every older epoch's lease has then expired, with a full
 *     lease to spare for clock skew, before the slot such a leader would aim at next can be
 *     emptied. (Slots below the fence are full when the fence is written: a late duplicate of
 *     an append that already landed there only rewrites the same entry, which the next pass
 *     deletes again, since every pass looks from the start of the journal.)
 */
export class JournalTrimmer {
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Entries deleted so far by this leader, for logs and tests. */
  deleted = 0;

  constructor(
    private readonly ctx: SequencerContext & { log: { trimProtectMs: number } },
    private readonly home: JournalLayout,
    /** This leader's fence entry. */
    private readonly fenceSeq: number,
    /** When this leader took the lease, by its clock. */
    private readonly takenAt: number,
    private readonly batch = 200,
    private readonly maxPerPass = 20_000,
  ) {}

  private get pk(): string {
    return this.home.pk;
  }

  /** The first sequence number trimming must keep, given the latest snapshot pointer. */
  keepFrom(pointer: SnapshotPointer | undefined, now: number): number {
    if (!pointer?.previous) return 0;
    const bySnapshots = pointer.previous.seq + 1;
    return now < this.takenAt + this.ctx.log.trimProtectMs ? Math.min(bySnapshots, this.fenceSeq) : bySnapshots;
  }

  /** Starts a pass unless one is running; resolves when it is done (failures are logged). */
  trim(pointer: SnapshotPointer | undefined): Promise<void> {
    this.running ??= this.pass(pointer)
      .catch((e) => this.ctx.logger.warn({ err: e, cluster: this.pk }, 'journal trimming failed; the next pass retries'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** The leader stopped: a pass in progress ends after its current batch. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.running ?? Promise.resolve();
  }

  private async pass(pointer: SnapshotPointer | undefined): Promise<void> {
    const keepFrom = this.keepFrom(pointer, this.ctx.clock.now());
    let removed = 0;
    while (removed < this.maxPerPass && !this.stopped) {
      const seqs = await this.ctx.journal.seqsBelow(this.home, keepFrom, this.batch);
      if (seqs.length === 0) break;
      await this.ctx.journal.remove(this.home, seqs);
      removed += seqs.length;
    }
    this.deleted += removed;
    let chunks = 0;
    if (pointer?.previous && !this.stopped) chunks = await this.ctx.snapshots.deleteOlderThan(this.pk, pointer.previous.seq, this.batch);
    if (removed > 0 || chunks > 0) this.ctx.logger.debug({ cluster: this.pk, removed, chunks, keepFrom }, 'journal trimmed');
  }
}
