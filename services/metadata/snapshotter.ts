import type { SequencerContext } from './context';
import type { SnapshotPointer } from './snapshot-store';
import type { ClusterState } from './state';
import { releaseCapture } from './state-capture';
import { captureForSnapshot, encodeCapturedState } from './state-codec';

/**
 * Decides when a leader snapshots its state and writes one snapshot at a time. The state is
 * captured at a point where it matches the journal exactly (copy on write, O(partitions));
 * it is then encoded in slices that leave the event loop free, deflated on libuv's pool and
 * written in the background while the leader serves (state-capture.ts).
 *
 * A snapshot is due every N entries or T milliseconds, whichever comes first, but only once
 * the journal written since the last one is at least as large as that snapshot: a snapshot
 * costs its whole size again, so this keeps the bytes written per journaled byte at most
 * about two (journal plus snapshots), however large the state and however small the entries,
 * and the tail recovery replays at most about one snapshot's worth.
 */
export const SNAPSHOT_MIN_JOURNAL_RATIO = 1;

export class Snapshotter {
  private running: Promise<void> | null = null;
  private lastAttemptSeq: number;
  private lastAttemptAt: number;
  private writtenSeq: number;
  /** Journal bytes appended since the last snapshot attempt. */
  private journalBytes = 0;
  /** Stored size of the latest snapshot. */
  private lastBytes: number;
  /** The latest snapshot this leader knows of (the one it loaded, or its own newest). */
  latest: SnapshotPointer | undefined;

  constructor(
    private readonly ctx: SequencerContext,
    private readonly pk: string,
    pointer: SnapshotPointer | undefined,
  ) {
    this.latest = pointer;
    this.lastAttemptSeq = pointer?.seq ?? 0;
    this.writtenSeq = pointer?.seq ?? 0;
    this.lastBytes = pointer?.bytes ?? 0;
    this.lastAttemptAt = ctx.clock.now();
  }

  /** Counts an appended journal entry's bytes. */
  noteAppended(bytes: number): void {
    this.journalBytes += bytes;
  }

  /** Starts a snapshot of `state` (which includes entry `seq`) if one is due. */
  maybeStart(state: ClusterState, seq: number): void {
    if (this.running || seq <= this.lastAttemptSeq) return;
    if (this.journalBytes < this.lastBytes * SNAPSHOT_MIN_JOURNAL_RATIO) return;
    const due =
      seq - this.lastAttemptSeq >= this.ctx.snapshotEveryEntries || this.ctx.clock.now() - this.lastAttemptAt >= this.ctx.snapshotEveryMs;
    if (due) void this.start(state, seq);
  }

  /** Snapshots now; null when a snapshot is already being written. */
  start(state: ClusterState, seq: number): Promise<number> | null {
    if (this.running) return null;
    if (seq === this.writtenSeq) return Promise.resolve(seq);
    const now = this.ctx.clock.now();
    const began = performance.now();
    const capture = captureForSnapshot(state);
    const captureMs = performance.now() - began;
    // A failed attempt is retried after another N entries or T milliseconds, not at once.
    this.lastAttemptSeq = seq;
    this.lastAttemptAt = now;
    this.journalBytes = 0;
    let rawBytes = 0;
    const task = encodeCapturedState(capture)
      .then((parts) => {
        for (const p of parts) rawBytes += p.length;
        return this.ctx.snapshots.write(this.pk, seq, parts, { chunkBytes: this.ctx.tuning.snapshotChunkBytes, createdAt: now });
      })
      .finally(() => releaseCapture(capture))
      .then((pointer) => {
        this.writtenSeq = Math.max(this.writtenSeq, seq);
        if (pointer) {
          this.latest = pointer;
          this.lastBytes = pointer.bytes;
        }
        this.ctx.logger.info(
          { cluster: this.pk, seq, bytes: rawBytes, stored: pointer?.bytes, chunks: pointer?.chunks, captureMs: Math.round(captureMs * 10) / 10, totalMs: Math.round(performance.now() - began) },
          pointer ? 'snapshot written' : 'snapshot superseded by a newer one',
        );
        return seq;
      });
    this.running = task
      .then(
        () => undefined,
        (e) => this.ctx.logger.warn({ err: e, cluster: this.pk, seq }, 'snapshot failed; the journal tail keeps growing until the next one'),
      )
      .finally(() => {
        this.running = null;
      });
    return task;
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
