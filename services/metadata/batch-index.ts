import type { PlannedBatch, Replica } from './types';

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
const TWO_POW_32 = 2 ** 32;

/** A column of whole numbers held in 4 bytes while they all fit, in 8 while one does not. */
export type WideColumn = Uint32Array | Float64Array;

/** Row strides: narrow rows are six 4-byte words (the timestamp takes two), wide rows five 8-byte numbers. */
const NARROW = 6;
const WIDE = 5;

/** A partition's rows as a capture pinned them, with the column widths they had then. */
export interface PinnedRows {
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly wide: boolean;
  readonly relWide: boolean;
  readonly byteOffsetWide: boolean;
  readonly n: number;
}

/**
 * One partition's batches, sorted by offset, one row each in a single buffer: 24 bytes a
 * batch (plus spare capacity). A fetch at a random offset reads a few neighbouring rows, so
 * the row layout costs it one or two cache lines where a column per field cost one per
 * field (a lookup's time is mostly such misses).
 *
 * Offsets are contiguous (batch i+1 starts right after batch i ends), so a batch's record
 * count is not stored: it is the next batch's base (or `end`) minus its own. A narrow row
 * holds the base offset relative to the first batch's (`origin`), the file number, the
 * byte offset and length as 4-byte words, then the max timestamp as a float64. While the
 * index spans 2^32 offsets or more (`relWide`) or holds a byte offset of 4 GiB or more
 * (`byteOffsetWide`), rows are wide: five float64s, 40 bytes. The flags follow from what
 * the index holds, so the snapshot (which stores them and the columns, state-capture.ts)
 * is canonical.
 */
export class BatchIndex {
  length = 0;
  /** Base offset of the first batch (0 when empty). */
  origin = 0;
  /** One past the last batch's last offset (0 when empty). */
  end = 0;
  /** The rows' buffer seen as 4-byte words and as float64s. */
  private u32: Uint32Array = EMPTY_U32;
  private f64: Float64Array = EMPTY_F64;
  /** Rows are wide (relWide or byteOffsetWide). */
  private wide = false;
  /** The index spans 2^32 offsets or more. */
  relWide = false;
  /** Byte offsets of 4 GiB or more held. */
  private wideByteOffsets = 0;
  /**
   * Snapshot captures holding this very buffer (state-capture.ts). Appends write past every
   * captured length, so they may share it; anything that rewrites a row in place moves to a
   * fresh buffer first while a capture holds it (copy on write). `generation` changes
   * whenever the buffer is replaced, so a capture knows whether its pin still counts.
   */
  pins = 0;
  generation = 0;

  get capacity(): number {
    return this.wide ? this.f64.length / WIDE : this.u32.length / NARROW;
  }

  get byteOffsetWide(): boolean {
    return this.wideByteOffsets > 0;
  }

  /** Base offset of batch i minus `origin`. */
  rel(i: number): number {
    return this.wide ? this.f64[i * WIDE] : this.u32[i * NARROW];
  }

  /** Batch i's number in the cluster's file table. */
  file(i: number): number {
    return this.wide ? this.f64[i * WIDE + 1] : this.u32[i * NARROW + 1];
  }

  byteOffset(i: number): number {
    return this.wide ? this.f64[i * WIDE + 2] : this.u32[i * NARROW + 2];
  }

  byteLength(i: number): number {
    return this.wide ? this.f64[i * WIDE + 3] : this.u32[i * NARROW + 3];
  }

  maxTimestamp(i: number): number {
    return this.wide ? this.f64[i * WIDE + 4] : this.f64[(i * NARROW) / 2 + 2];
  }

  baseOffset(i: number): number {
    return this.origin + this.rel(i);
  }

  /** One past the last offset of batch i. */
  nextOffset(i: number): number {
    return i + 1 < this.length ? this.origin + this.rel(i + 1) : this.end;
  }

  lastOffset(i: number): number {
    return this.nextOffset(i) - 1;
  }

  recordCount(i: number): number {
    return this.nextOffset(i) - this.baseOffset(i);
  }

  /** The buffer as it is now, for a capture (which pins it). */
  pinnedRows(): PinnedRows {
    return { u32: this.u32, f64: this.f64, wide: this.wide, relWide: this.relWide, byteOffsetWide: this.byteOffsetWide, n: this.length };
  }

  /**
   * How many batches from `first` on fit in `limit` bytes (at least one when `atLeastOne`),
   * and their bytes: a fetch plan's sizing (reads.ts), which `planned` then fills.
   */
  fitting(first: number, limit: number, atLeastOne: boolean): { count: number; bytes: number } {
    let end = first;
    let used = 0;
    if (this.wide) {
      while (end < this.length && (used + this.byteLength(end) <= limit || (atLeastOne && end === first))) used += this.byteLength(end++);
    } else {
      const u = this.u32;
      const n = this.length;
      while (end < n && (used + u[end * NARROW + 3] <= limit || (atLeastOne && end === first))) used += u[end++ * NARROW + 3];
    }
    return { count: end - first, bytes: used };
  }

  /**
   * Batches [first, end) as fetch plan entries, each with its file's id, key and replicas
   * from the file table's dense columns (file-table.ts): built straight from the rows, since
   * this runs for every batch of every fetch.
   */
  planned(first: number, end: number, fileIds: readonly (string | undefined)[], objectKeys: readonly (string | undefined)[], replicaLists: readonly (readonly Replica[] | undefined)[]): PlannedBatch[] {
    const out: PlannedBatch[] = new Array(end - first);
    const origin = this.origin;
    let f = -1;
    let fileId = '';
    let objectKey = '';
    let replicas: readonly Replica[] = [];
    if (this.wide) {
      for (let i = first; i < end; i++) {
        const file = this.file(i);
        if (file !== f) {
          f = file;
          fileId = fileIds[f]!;
          objectKey = objectKeys[f]!;
          replicas = replicaLists[f]!;
        }
        out[i - first] = { fileId, objectKey, replicas, byteOffset: this.byteOffset(i), byteLength: this.byteLength(i), baseOffset: this.baseOffset(i), lastOffset: this.lastOffset(i), maxTimestamp: this.maxTimestamp(i) };
      }
      return out;
    }
    const u = this.u32;
    const d = this.f64;
    const n = this.length;
    // Offsets are contiguous: a batch's last offset is one before the next one's base.
    let next = origin + u[first * NARROW];
    for (let i = first; i < end; i++) {
      const r = i * NARROW;
      // Neighbouring batches often share a file.
      const file = u[r + 1];
      if (file !== f) {
        f = file;
        fileId = fileIds[f]!;
        objectKey = objectKeys[f]!;
        replicas = replicaLists[f]!;
      }
      const base = next;
      next = i + 1 < n ? origin + u[r + NARROW] : this.end;
      out[i - first] = { fileId, objectKey, replicas, byteOffset: u[r + 2], byteLength: u[r + 3], baseOffset: base, lastOffset: next - 1, maxTimestamp: d[r / 2 + 2] };
    }
    return out;
  }

  /** Appends a batch starting at `baseOffset`, which must be `end` unless the index is empty. */
  push(baseOffset: number, recordCount: number, file: number, byteOffset: number, byteLength: number, maxTimestamp: number): number {
    if (this.length > 0 && baseOffset !== this.end) throw new Error(`batch at ${baseOffset} does not follow the index's end ${this.end}`);
    // Grows by a quarter: at most a fifth of a large index is spare (24 bytes a slot).
    if (this.length === this.capacity) this.relayout(Math.max(8, Math.ceil(this.capacity * 1.25)), this.wide, 0, this.length, 0);
    if (this.length === 0) this.origin = baseOffset;
    this.end = baseOffset + recordCount;
    if (this.end - this.origin >= TWO_POW_32) this.relWide = true;
    if (byteOffset >= TWO_POW_32) this.wideByteOffsets++;
    // A wider layout is a new buffer: a capture still holds the old one, whose rows are unchanged.
    if (!this.wide && (this.relWide || this.wideByteOffsets > 0)) this.relayout(this.capacity, true, 0, this.length, 0);
    const i = this.length++;
    this.write(i, baseOffset - this.origin, file, byteOffset, byteLength, maxTimestamp);
    return i;
  }

  /** Position of the batch holding `offset`, or -1 when no batch does. */
  find(offset: number): number {
    if (this.length === 0 || offset < this.origin || offset >= this.end) return -1;
    const target = offset - this.origin;
    // Batches of a partition tend to hold similar record counts: try where the offset would
    // sit if they were all alike (one probe of a cold buffer instead of ten), then search
    // the side it fell on.
    const guess = Math.min(this.length - 1, Math.floor((target / (this.end - this.origin)) * this.length));
    return this.wide ? search(this.f64, WIDE, this.length, guess, target) : search(this.u32, NARROW, this.length, guess, target);
  }

  /** Points batch i at another file and byte offset (compaction), copying the buffer first while a capture holds it. */
  relocate(i: number, file: number, byteOffset: number): void {
    if (this.pins > 0) this.relayout(this.capacity, this.wide, 0, this.length, 0);
    const was = this.byteOffset(i);
    if (byteOffset >= TWO_POW_32 && this.wideByteOffsets++ === 0 && !this.wide) this.relayout(this.capacity, true, 0, this.length, 0);
    this.write(i, this.rel(i), file, byteOffset, this.byteLength(i), this.maxTimestamp(i));
    if (was >= TWO_POW_32 && --this.wideByteOffsets === 0 && !this.relWide) this.relayout(this.capacity, false, 0, this.length, 0);
  }

  /**
   * Removes the first `k` batches. The rest moves down either way; when more than an eighth
   * of the capacity would be spare, it moves into a tighter buffer instead, so that an index
   * under steady retention (appends at the end, drops at the front) stays as compact as a
   * fresh one. While a snapshot capture holds the buffer, it moves too (copy on write).
   */
  dropFront(k: number): void {
    const n = this.length - k;
    for (let i = 0; i < k; i++) if (this.byteOffset(i) >= TWO_POW_32) this.wideByteOffsets--;
    const shift = k < this.length ? this.rel(k) : 0;
    const origin = k < this.length ? this.origin + shift : 0;
    const relWide = n > 0 && this.end - origin >= TWO_POW_32;
    const wide = relWide || this.wideByteOffsets > 0;
    const tight = Math.max(8, Math.ceil(n * 1.125));
    if (this.pins > 0 || this.capacity > tight + 16 || wide !== this.wide) {
      const cap = this.pins > 0 || this.capacity > tight + 16 ? tight : this.capacity;
      this.relayout(cap, wide, k, n, shift);
    } else {
      const words = this.wide ? this.f64 : this.u32;
      const stride = this.wide ? WIDE : NARROW;
      words.copyWithin(0, k * stride, this.length * stride);
      for (let i = 0; i < n; i++) words[i * stride] -= shift;
    }
    this.relWide = relWide;
    this.length = n;
    this.origin = n > 0 ? origin : 0;
    if (n === 0) this.end = 0;
  }

  /** Drops spare capacity (after loading a snapshot, where the final size is known). */
  trim(): void {
    if (this.capacity !== this.length) this.relayout(this.length, this.wide, 0, this.length, 0);
  }

  /**
   * Fills the index from decoded columns (a snapshot's layout: one column per field, at the
   * widths the flags give), checking what the layout promises: offsets rising from 0,
   * within `end`, widths as the values need.
   */
  loadColumns(origin: number, end: number, relWide: boolean, byteOffsetWide: boolean, cols: readonly [WideColumn, Uint32Array, WideColumn, Uint32Array, Float64Array]): void {
    const [rel, file, byteOffset, byteLength, maxTimestamp] = cols;
    const n = rel.length;
    if (n === 0) throw new Error('an index holds no batches');
    const span = end - origin;
    if (rel[0] !== 0) throw new Error('the first batch of an index is not at its origin');
    for (let i = 1; i < n; i++) if (!(rel[i] > rel[i - 1])) throw new Error('batch offsets of an index do not rise');
    if (!(rel[n - 1] < span)) throw new Error("the last batch of an index starts past the index's end");
    if ((span >= TWO_POW_32) !== relWide) throw new Error('an index column has the wrong width');
    let wideOffsets = 0;
    for (let i = 0; i < n; i++) if (byteOffset[i] >= TWO_POW_32) wideOffsets++;
    if ((wideOffsets > 0) !== byteOffsetWide) throw new Error('an index column has the wrong width');
    this.length = 0;
    this.relWide = relWide;
    this.wideByteOffsets = wideOffsets;
    this.relayout(n, relWide || byteOffsetWide, 0, 0, 0);
    for (let i = 0; i < n; i++) this.write(i, rel[i], file[i], byteOffset[i], byteLength[i], maxTimestamp[i]);
    this.length = n;
    this.origin = origin;
    this.end = end;
  }

  private write(i: number, rel: number, file: number, byteOffset: number, byteLength: number, maxTimestamp: number): void {
    if (this.wide) {
      const r = i * WIDE;
      const f = this.f64;
      f[r] = rel;
      f[r + 1] = file;
      f[r + 2] = byteOffset;
      f[r + 3] = byteLength;
      f[r + 4] = maxTimestamp;
    } else {
      const r = i * NARROW;
      const u = this.u32;
      u[r] = rel;
      u[r + 1] = file;
      u[r + 2] = byteOffset;
      u[r + 3] = byteLength;
      this.f64[r / 2 + 2] = maxTimestamp;
    }
  }

  /** Moves rows [from, from + n), less `shift` in their relative offsets, to the start of a new buffer of `capacity` rows. */
  private relayout(capacity: number, wide: boolean, from: number, n: number, shift: number): void {
    const buf = new ArrayBuffer(capacity * (wide ? WIDE * 8 : NARROW * 4));
    const u32 = new Uint32Array(buf);
    const f64 = new Float64Array(buf);
    if (wide === this.wide && shift === 0) {
      if (wide) f64.set(this.f64.subarray(from * WIDE, (from + n) * WIDE));
      else u32.set(this.u32.subarray(from * NARROW, (from + n) * NARROW));
    } else {
      const rows = { u32: this.u32, f64: this.f64, wide: this.wide };
      this.u32 = u32;
      this.f64 = f64;
      this.wide = wide;
      for (let i = 0; i < n; i++) this.write(i, readRow(rows, from + i, 0) - shift, readRow(rows, from + i, 1), readRow(rows, from + i, 2), readRow(rows, from + i, 3), readRow(rows, from + i, 4));
    }
    this.u32 = u32;
    this.f64 = f64;
    this.wide = wide;
    // New buffer: no capture holds it.
    this.pins = 0;
    this.generation++;
  }
}

/** Field `field` (0 rel, 1 file, 2 byte offset, 3 byte length, 4 max timestamp) of row i. */
function readRow(rows: { u32: Uint32Array; f64: Float64Array; wide: boolean }, i: number, field: number): number {
  if (rows.wide) return rows.f64[i * WIDE + field];
  return field === 4 ? rows.f64[(i * NARROW) / 2 + 2] : rows.u32[i * NARROW + field];
}

/** The last row among `length` whose relative offset (its first word) is at most `target`, starting from a guess. */
function search(words: WideColumn, stride: number, length: number, guess: number, target: number): number {
  let lo = 0;
  let hi = length - 1;
  if (words[guess * stride] <= target) {
    if (guess === hi || words[(guess + 1) * stride] > target) return guess;
    lo = guess + 1;
  } else hi = guess - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (words[mid * stride] <= target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A pinned index's five columns, as the snapshot stores them (state-codec.ts, format 4). */
export function columnsOf(rows: PinnedRows): [WideColumn, Uint32Array, WideColumn, Uint32Array, Float64Array] {
  const n = rows.n;
  const cols = [
    rows.relWide ? new Float64Array(n) : new Uint32Array(n),
    new Uint32Array(n),
    rows.byteOffsetWide ? new Float64Array(n) : new Uint32Array(n),
    new Uint32Array(n),
    new Float64Array(n),
  ] as [WideColumn, Uint32Array, WideColumn, Uint32Array, Float64Array];
  if (rows.wide) {
    const f = rows.f64;
    for (let c = 0; c < 5; c++) {
      const col = cols[c];
      for (let i = 0; i < n; i++) col[i] = f[i * WIDE + c];
    }
  } else {
    const u = rows.u32;
    for (let c = 0; c < 4; c++) {
      const col = cols[c];
      for (let i = 0; i < n; i++) col[i] = u[i * NARROW + c];
    }
    const f = rows.f64;
    const ts = cols[4];
    for (let i = 0; i < n; i++) ts[i] = f[i * 3 + 2];
  }
  return cols;
}
