import type { PackedResults } from './packed-results';
import type { Replica } from './types';
import { FileColumns } from './file-columns';
import { popMin, pushHeap } from './min-heap';

/**
 * The cluster's files, by file number (batches refer to files by number, 4 bytes each).
 *
 * A file is live while batches refer to it. When its last batch goes (retention, delete
 * records, topic deletion, or a commit none of whose batches was accepted) it is *marked*,
 * with the time and a mark sequence number, and can never become live again: nothing refers
 * to it, and a retried commit of it only reads its recorded answers. Marked files are *due*
 * once a grace period has passed (readers may still hold a fetch plan naming them); the job
 * orchestrator deletes the objects and reports it, and that report removes the record.
 *
 * Numbers of removed files are reused lowest first, so the table is as long as the peak of
 * files held at once, and the numbering depends only on the state (a leader and a node that
 * loaded a snapshot number the next file alike).
 */
export const FILE_LIVE = 0;
/** The file's last live batch is gone; a later job deletes the object. */
export const FILE_DELETE_PENDING = 1;

/**
 * A file's fields. The table keeps them in columns (file-columns.ts), not as this object:
 * `view` and `byId` build one on each call (for the rarer paths: retries, job listings,
 * tests); hot paths read the columns by number (`sizeOf`, `committedAtOf`, `stateOf`, ...).
 */
export interface FileRecord {
  readonly id: string;
  readonly objectKey: string;
  readonly sizeBytes: number;
  readonly replicas: readonly Replica[];
  /** Hash of the committed body: a retry must match it. */
  readonly fingerprint: string;
  readonly committedAt: number;
  /** Per request batch, in request order: see encodeResult (packed-results.ts). */
  readonly results: PackedResults;
  /** Batches of the partitions' indexes that refer to this file. */
  readonly live: number;
  readonly state: typeof FILE_LIVE | typeof FILE_DELETE_PENDING;
  /** When the file was marked for deletion; 0 while live. */
  readonly markedAt: number;
  /** Order of marking (1, 2, ...); 0 while live. Due listings page by it. */
  readonly markSeq: number;
}

/** A FileRecord to read into, reused (FileTable.captured). */
export type ScratchFile = { -readonly [K in keyof FileRecord]: FileRecord[K] };

export const scratchFile = (): ScratchFile => ({ id: '', objectKey: '', sizeBytes: 0, replicas: [], fingerprint: '', committedAt: 0, results: '' as PackedResults, live: 0, state: FILE_LIVE, markedAt: 0, markSeq: 0 });

export interface FileStats {
  live: { count: number; bytes: number };
  markedForDeletion: { count: number; bytes: number };
}

export interface FileCapture {
  readonly span: number;
  readonly size: number;
  readonly nextMarkSeq: number;
  /** Slots changed since the capture began, as they were then (undefined: no file). */
  readonly saved: Map<number, FileRecord | undefined>;
}

export class FileTable {
  private readonly captures: FileCapture[] = [];
  private readonly cols = new FileColumns();
  /**
   * What a fetch plan names of each file, by number, in dense arrays (undefined where no
   * file is): a plan copies these pointers. Read-only outside this class. `fileIds[n]` is
   * also what says whether slot `n` holds a file.
   */
  readonly fileIds: (string | undefined)[] = [];
  readonly objectKeys: (string | undefined)[] = [];
  readonly replicaLists: (readonly Replica[] | undefined)[] = [];
  /** Each file's packed results (a short one-byte string), read only by retries and snapshots. */
  private readonly results: (PackedResults | undefined)[] = [];
  private readonly numbers = new Map<string, number>();
  /** Free numbers below the span, as a binary min-heap. */
  private readonly free: number[] = [];
  /** Marked files in mark order: file number and mark sequence, from `head` on. */
  private pendingNos: number[] = [];
  private pendingSeqs: number[] = [];
  private head = 0;
  /** The mark sequence number the next marked file gets. */
  nextMarkSeq = 1;
  liveCount = 0;
  liveBytes = 0;
  pendingCount = 0;
  pendingBytes = 0;

  get size(): number {
    return this.numbers.size;
  }

  /** One past the largest number in use (the table's length). */
  get span(): number {
    return this.fileIds.length;
  }

  has(n: number): boolean {
    return this.fileIds[n] !== undefined;
  }

  idOf(n: number): string | undefined {
    return this.fileIds[n];
  }

  sizeOf(n: number): number {
    return this.cols.sizeBytes[n];
  }

  committedAtOf(n: number): number {
    return this.cols.committedAt[n];
  }

  stateOf(n: number): typeof FILE_LIVE | typeof FILE_DELETE_PENDING {
    return this.cols.state[n] as typeof FILE_LIVE | typeof FILE_DELETE_PENDING;
  }

  liveOf(n: number): number {
    return this.cols.live[n];
  }

  markedAtOf(n: number): number {
    return this.cols.markedAt[n];
  }

  markSeqOf(n: number): number {
    return this.cols.markSeq[n];
  }

  fingerprintOf(n: number): string {
    return this.cols.fingerprint(n);
  }

  resultsOf(n: number): PackedResults {
    return this.results[n]!;
  }

  /** File `n`'s fields as a new object (allocates: not for per-batch loops). */
  view(n: number): FileRecord | undefined {
    return this.readInto(n, scratchFile());
  }

  numberOf(id: string): number | undefined {
    return this.numbers.get(id);
  }

  byId(id: string): FileRecord | undefined {
    const n = this.numbers.get(id);
    return n === undefined ? undefined : this.view(n);
  }

  /** The number the next added file gets. */
  nextNumber(): number {
    return this.free.length > 0 ? this.free[0] : this.fileIds.length;
  }

  /** Adds a file under nextNumber(); a file with no live batch is marked at once. */
  add(f: FileRecord): number {
    const n = this.free.length > 0 ? popMin(this.free) : this.fileIds.length;
    if (this.captures.length > 0) this.touch(n);
    this.put(n, f);
    this.numbers.set(f.id, n);
    if (f.state === FILE_LIVE) {
      this.liveCount++;
      this.liveBytes += f.sizeBytes;
    } else {
      this.pendingCount++;
      this.pendingBytes += f.sizeBytes;
      this.enqueue(n, f.markSeq);
    }
    return n;
  }

  /** Marks a live file whose last batch went. */
  mark(n: number, at: number): void {
    if (this.captures.length > 0) this.touch(n);
    const c = this.cols;
    const seq = this.nextMarkSeq++;
    c.state[n] = FILE_DELETE_PENDING;
    c.markedAt[n] = at;
    c.markSeq[n] = seq;
    this.liveCount--;
    this.liveBytes -= c.sizeBytes[n];
    this.pendingCount++;
    this.pendingBytes += c.sizeBytes[n];
    this.enqueue(n, seq);
  }

  /** One batch referring to file `n` is gone; marks the file when it was the last. */
  release(n: number, at: number): void {
    if (this.captures.length > 0) this.touch(n);
    const c = this.cols;
    if (--c.live[n] === 0 && c.state[n] === FILE_LIVE) this.mark(n, at);
  }

  /** Removes a marked file's record (its objects are deleted). */
  remove(n: number): void {
    if (this.captures.length > 0) this.touch(n);
    const id = this.fileIds[n]!;
    this.pendingCount--;
    this.pendingBytes -= this.cols.sizeBytes[n];
    this.put(n, undefined);
    this.numbers.delete(id);
    // The number is reused, lowest first: the table stays as long as the peak of files at once.
    pushHeap(this.free, n);
  }

  /** Numbers of the files held, ascending. */
  *numbersInUse(): IterableIterator<number> {
    for (let n = 0; n < this.fileIds.length; n++) if (this.fileIds[n] !== undefined) yield n;
  }

  /** Every file in number order, each as a new view (allocates: tests and rare paths). */
  *entries(): IterableIterator<[number, FileRecord]> {
    for (const n of this.numbersInUse()) yield [n, this.view(n)!];
  }

  /**
   * Starts a snapshot capture of the table: O(1) now; until `endCapture`, the first change of
   * each slot saves what it held (copy on write), so `captured` still answers as of now.
   */
  beginCapture(): FileCapture {
    const c: FileCapture = { span: this.fileIds.length, size: this.numbers.size, nextMarkSeq: this.nextMarkSeq, saved: new Map() };
    this.captures.push(c);
    return c;
  }

  endCapture(c: FileCapture): void {
    const i = this.captures.indexOf(c);
    if (i >= 0) this.captures.splice(i, 1);
  }

  /**
   * File `n` as capture `c` saw it: its saved view, or the slot now read into `scratch`
   * (overwritten by the next call; a snapshot reads every file without an object each).
   */
  captured(c: FileCapture, n: number, scratch: ScratchFile): FileRecord | undefined {
    if (c.saved.size > 0 && c.saved.has(n)) return c.saved.get(n);
    return this.readInto(n, scratch);
  }

  /** Slot `n`'s fields written into `into`; undefined when it holds no file. */
  private readInto(n: number, into: ScratchFile): FileRecord | undefined {
    const id = this.fileIds[n];
    if (id === undefined) return undefined;
    const cols = this.cols;
    into.id = id;
    into.objectKey = this.objectKeys[n]!;
    into.sizeBytes = cols.sizeBytes[n];
    into.replicas = this.replicaLists[n]!;
    into.fingerprint = cols.fingerprint(n);
    into.committedAt = cols.committedAt[n];
    into.results = this.results[n]!;
    into.live = cols.live[n];
    into.state = cols.state[n] as typeof FILE_LIVE | typeof FILE_DELETE_PENDING;
    into.markedAt = cols.markedAt[n];
    into.markSeq = cols.markSeq[n];
    return into;
  }

  /** Before slot `n` changes: every open capture that has not saved it yet saves it. */
  private touch(n: number): void {
    for (const c of this.captures) {
      if (n >= c.span || c.saved.has(n)) continue;
      c.saved.set(n, this.view(n));
    }
  }

  /** Puts a decoded file at its number (decoding only; call `finishLoad` after the last). */
  load(n: number, f: FileRecord): void {
    this.put(n, f);
    this.numbers.set(f.id, n);
  }

  /** Slot `n` now holds `f` (or nothing). */
  private put(n: number, f: FileRecord | undefined): void {
    // Slots up to n exist (undefined where no file is): the dense arrays stay dense.
    for (let k = this.fileIds.length; k < n; k++) this.setStrings(k, undefined);
    this.setStrings(n, f);
    const c = this.cols;
    c.ensure(n);
    if (!f) return c.clear(n);
    c.sizeBytes[n] = f.sizeBytes;
    c.committedAt[n] = f.committedAt;
    c.live[n] = f.live;
    c.state[n] = f.state;
    c.markedAt[n] = f.markedAt;
    c.markSeq[n] = f.markSeq;
    c.setFingerprint(n, f.fingerprint);
  }

  private setStrings(n: number, f: FileRecord | undefined): void {
    this.fileIds[n] = f?.id;
    this.objectKeys[n] = f?.objectKey;
    this.replicaLists[n] = f?.replicas;
    this.results[n] = f?.results;
  }

  /** Rebuilds what is derived from the records: counters, free numbers, the marked queue. */
  finishLoad(span: number): void {
    if (span < this.fileIds.length) throw new Error(`file table span ${span} is below its files`);
    for (let k = this.fileIds.length; k < span; k++) this.setStrings(k, undefined);
    this.cols.ensure(span);
    const c = this.cols;
    this.liveCount = this.liveBytes = this.pendingCount = this.pendingBytes = 0;
    const marked: [number, number][] = [];
    for (const n of this.numbersInUse()) {
      if (c.state[n] === FILE_LIVE) {
        this.liveCount++;
        this.liveBytes += c.sizeBytes[n];
      } else {
        this.pendingCount++;
        this.pendingBytes += c.sizeBytes[n];
        marked.push([c.markSeq[n], n]);
      }
    }
    marked.sort((a, b) => a[0] - b[0]);
    this.pendingNos = marked.map((m) => m[1]);
    this.pendingSeqs = marked.map((m) => m[0]);
    this.head = 0;
    this.rebuildFree();
  }

  /**
   * Marked files in mark order after mark sequence `afterSeq`, as long as `take` wants
   * more; `take` returns false to stop. Skips queue entries of files removed since.
   */
  scanMarked(afterSeq: number, take: (n: number) => boolean): void {
    this.compactQueue();
    let lo = this.head;
    let hi = this.pendingSeqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pendingSeqs[mid] <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.pendingSeqs.length; i++) {
      const n = this.pendingNos[i];
      if (!this.queued(n, this.pendingSeqs[i])) continue;
      if (!take(n)) return;
    }
  }

  stats(): FileStats {
    return {
      live: { count: this.liveCount, bytes: this.liveBytes },
      markedForDeletion: { count: this.pendingCount, bytes: this.pendingBytes },
    };
  }

  private enqueue(n: number, seq: number): void {
    this.pendingNos.push(n);
    this.pendingSeqs.push(seq);
  }

  /** Whether the queue entry (n, seq) still stands for a marked file (not one removed since). */
  private queued(n: number, seq: number): boolean {
    return this.fileIds[n] !== undefined && this.cols.markSeq[n] === seq;
  }

  /** Drops queue entries of removed files from the front; rebuilds when half is garbage. */
  private compactQueue(): void {
    while (this.head < this.pendingNos.length && !this.queued(this.pendingNos[this.head], this.pendingSeqs[this.head])) this.head++;
    if (this.head > 1024 && this.head * 2 > this.pendingNos.length) {
      this.pendingNos = this.pendingNos.slice(this.head);
      this.pendingSeqs = this.pendingSeqs.slice(this.head);
      this.head = 0;
    }
    if (this.pendingNos.length - this.head > 2 * this.pendingCount + 1024) {
      const nos: number[] = [];
      const seqs: number[] = [];
      for (let i = this.head; i < this.pendingNos.length; i++) {
        if (!this.queued(this.pendingNos[i], this.pendingSeqs[i])) continue;
        nos.push(this.pendingNos[i]);
        seqs.push(this.pendingSeqs[i]);
      }
      this.pendingNos = nos;
      this.pendingSeqs = seqs;
      this.head = 0;
    }
  }

  private rebuildFree(): void {
    this.free.length = 0;
    for (let n = 0; n < this.fileIds.length; n++) if (this.fileIds[n] === undefined) this.free.push(n); // ascending: a valid heap
  }
}
