import type { PackedResults } from './packed-results';
import type { Replica } from './types';

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
  live: number;
  state: typeof FILE_LIVE | typeof FILE_DELETE_PENDING;
  /** When the file was marked for deletion; 0 while live. */
  markedAt: number;
  /** Order of marking (1, 2, ...); 0 while live. Due listings page by it. */
  markSeq: number;
}

export interface FileStats {
  live: { count: number; bytes: number };
  markedForDeletion: { count: number; bytes: number };
}

/** A file as a capture saw it: its record (immutable fields) and its changing fields then. */
export interface SavedFile {
  readonly record: FileRecord | undefined;
  readonly live: number;
  readonly state: typeof FILE_LIVE | typeof FILE_DELETE_PENDING;
  readonly markedAt: number;
  readonly markSeq: number;
}

export interface FileCapture {
  readonly span: number;
  readonly size: number;
  readonly nextMarkSeq: number;
  readonly saved: Map<number, SavedFile>;
}

export class FileTable {
  private readonly captures: FileCapture[] = [];
  private readonly byNumber: (FileRecord | undefined)[] = [];
  /**
   * What a fetch plan names of each file, by number, in dense arrays (undefined where no
   * file is): a plan copies these pointers without touching the records, which lie scattered
   * over the heap (a cache miss each, the larger part of a random-offset lookup's time).
   * 24 bytes a file. Read-only outside this class.
   */
  readonly fileIds: (string | undefined)[] = [];
  readonly objectKeys: (string | undefined)[] = [];
  readonly replicaLists: (readonly Replica[] | undefined)[] = [];
  private readonly numbers = new Map<string, number>();
  /** Free numbers below byNumber.length, as a binary min-heap. */
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
    return this.byNumber.length;
  }

  get(n: number): FileRecord {
    return this.byNumber[n]!;
  }

  at(n: number): FileRecord | undefined {
    return this.byNumber[n];
  }

  numberOf(id: string): number | undefined {
    return this.numbers.get(id);
  }

  byId(id: string): FileRecord | undefined {
    const n = this.numbers.get(id);
    return n === undefined ? undefined : this.byNumber[n];
  }

  /** The number the next added file gets. */
  nextNumber(): number {
    return this.free.length > 0 ? this.free[0] : this.byNumber.length;
  }

  /** Adds a file under nextNumber(); a file with no live batch is marked at once. */
  add(f: FileRecord): number {
    const n = this.free.length > 0 ? popMin(this.free) : this.byNumber.length;
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
    const f = this.byNumber[n]!;
    f.state = FILE_DELETE_PENDING;
    f.markedAt = at;
    f.markSeq = this.nextMarkSeq++;
    this.liveCount--;
    this.liveBytes -= f.sizeBytes;
    this.pendingCount++;
    this.pendingBytes += f.sizeBytes;
    this.enqueue(n, f.markSeq);
  }

  /** One batch referring to file `n` is gone; marks the file when it was the last. */
  release(n: number, at: number): void {
    if (this.captures.length > 0) this.touch(n);
    const f = this.byNumber[n]!;
    f.live--;
    if (f.live === 0 && f.state === FILE_LIVE) this.mark(n, at);
  }

  /** Removes a marked file's record (its objects are deleted). */
  remove(n: number): void {
    if (this.captures.length > 0) this.touch(n);
    const f = this.byNumber[n]!;
    this.put(n, undefined);
    this.numbers.delete(f.id);
    this.pendingCount--;
    this.pendingBytes -= f.sizeBytes;
    // The number is reused, lowest first: the table stays as long as the peak of files at once.
    pushHeap(this.free, n);
  }

  /** Every file in number order. */
  *entries(): IterableIterator<[number, FileRecord]> {
    for (let n = 0; n < this.byNumber.length; n++) {
      const f = this.byNumber[n];
      if (f) yield [n, f];
    }
  }

  /**
   * Starts a snapshot capture of the table: O(1) now; until `endCapture`, the first change of
   * each slot saves what it held (copy on write), so `captured` still answers as of now.
   */
  beginCapture(): FileCapture {
    const c: FileCapture = { span: this.byNumber.length, size: this.numbers.size, nextMarkSeq: this.nextMarkSeq, saved: new Map() };
    this.captures.push(c);
    return c;
  }

  endCapture(c: FileCapture): void {
    const i = this.captures.indexOf(c);
    if (i >= 0) this.captures.splice(i, 1);
  }

  /** Before slot `n` changes: every open capture that has not saved it yet saves it. */
  private touch(n: number): void {
    for (const c of this.captures) {
      if (n >= c.span || c.saved.has(n)) continue;
      const f = this.byNumber[n];
      c.saved.set(n, f ? { record: f, live: f.live, state: f.state, markedAt: f.markedAt, markSeq: f.markSeq } : { record: undefined, live: 0, state: FILE_LIVE, markedAt: 0, markSeq: 0 });
    }
  }

  /** Puts a decoded file at its number (decoding only; call `finishLoad` after the last). */
  load(n: number, f: FileRecord): void {
    this.byNumber[n] = f;
    this.numbers.set(f.id, n);
  }

  /** Slot `n` now holds `f` (or nothing). */
  private put(n: number, f: FileRecord | undefined): void {
    this.byNumber[n] = f;
    this.fileIds[n] = f?.id;
    this.objectKeys[n] = f?.objectKey;
    this.replicaLists[n] = f?.replicas;
  }

  /** Rebuilds what is derived from the records: counters, free numbers, the marked queue. */
  finishLoad(span: number): void {
    this.byNumber.length = span;
    // Filled in number order: dense arrays, whatever order the records were loaded in.
    this.fileIds.length = this.objectKeys.length = this.replicaLists.length = 0;
    for (let n = 0; n < span; n++) {
      const f = this.byNumber[n];
      this.fileIds.push(f?.id);
      this.objectKeys.push(f?.objectKey);
      this.replicaLists.push(f?.replicas);
    }
    this.liveCount = this.liveBytes = this.pendingCount = this.pendingBytes = 0;
    const marked: [number, number][] = [];
    for (const [n, f] of this.entries()) {
      if (f.state === FILE_LIVE) {
        this.liveCount++;
        this.liveBytes += f.sizeBytes;
      } else {
        this.pendingCount++;
        this.pendingBytes += f.sizeBytes;
        marked.push([f.markSeq, n]);
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
  scanMarked(afterSeq: number, take: (n: number, f: FileRecord) => boolean): void {
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
      const f = this.byNumber[n];
      if (!f || f.markSeq !== this.pendingSeqs[i]) continue;
      if (!take(n, f)) return;
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

  /** Drops queue entries of removed files from the front; rebuilds when half is garbage. */
  private compactQueue(): void {
    while (this.head < this.pendingNos.length && this.byNumber[this.pendingNos[this.head]]?.markSeq !== this.pendingSeqs[this.head]) this.head++;
    if (this.head > 1024 && this.head * 2 > this.pendingNos.length) {
      this.pendingNos = this.pendingNos.slice(this.head);
      this.pendingSeqs = this.pendingSeqs.slice(this.head);
      this.head = 0;
    }
    if (this.pendingNos.length - this.head > 2 * this.pendingCount + 1024) {
      const nos: number[] = [];
      const seqs: number[] = [];
      for (let i = this.head; i < this.pendingNos.length; i++) {
        if (this.byNumber[this.pendingNos[i]]?.markSeq !== this.pendingSeqs[i]) continue;
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
    for (let n = 0; n < this.byNumber.length; n++) if (this.byNumber[n] === undefined) this.free.push(n); // ascending: a valid heap
  }
}

function pushHeap(h: number[], v: number): void {
  let i = h.push(v) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (h[parent] <= h[i]) break;
    [h[parent], h[i]] = [h[i], h[parent]];
    i = parent;
  }
}

function popMin(h: number[]): number {
  const top = h[0];
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l] < h[m]) m = l;
      if (r < h.length && h[r] < h[m]) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
  return top;
}
