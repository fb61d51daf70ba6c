import type { SequencerContext } from './context';
import type { ClusterState } from './state';
import { encodeState } from './state-codec';

/**
 * Decides when a leader snapshots its state (every N entries or T milliseconds, whichever
 * comes first) and writes one snapshot at a time. The state is encoded synchronously at a
 * point where it matches the journal exactly; the chunks are written in the background.
 */
export class Snapshotter {
  private running: Promise<void> | null = null;
  private lastAttemptSeq: number;
  private lastAttemptAt: number;
  private writtenSeq: number;

  constructor(
    private readonly ctx: SequencerContext,
    private readonly pk: string,
    snapshotSeq: number,
  ) {
    this.lastAttemptSeq = snapshotSeq;
    this.writtenSeq = snapshotSeq;
    this.lastAttemptAt = ctx.clock.now();
  }

  /** Starts a snapshot of `state` (which includes entry `seq`) if one is due. */
  maybeStart(state: ClusterState, seq: number): void {
    if (this.running || seq <= this.lastAttemptSeq) return;
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
    const bytes = encodeState(state);
    const encodeMs = performance.now() - began;
    // A failed attempt is retried after another N entries or T milliseconds, not at once.
    this.lastAttemptSeq = seq;
    this.lastAttemptAt = now;
    const task = this.ctx.snapshots
      .write(this.pk, seq, bytes, { chunkBytes: this.ctx.tuning.snapshotChunkBytes, createdAt: now })
      .then((pointer) => {
        this.writtenSeq = Math.max(this.writtenSeq, seq);
        this.ctx.logger.info(
          { cluster: this.pk, seq, bytes: bytes.length, chunks: pointer?.chunks, encodeMs: Math.round(encodeMs), totalMs: Math.round(performance.now() - began) },
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
