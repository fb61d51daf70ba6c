const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
const TWO_POW_32 = 2 ** 32;

/** A column of whole numbers held in 4 bytes while they all fit, in 8 while one does not. */
export type WideColumn = Uint32Array | Float64Array;

/**
 * One partition's batches, sorted by offset, stored column by column in typed arrays: 24
 * bytes per batch (plus spare capacity) instead of a JavaScript object each.
 *
 * Offsets are contiguous (batch i+1 starts right after batch i ends), so a batch's record
 * count is not stored: it is the next batch's base (or `end`) minus its own. Base offsets are
 * stored relative to the first batch's (`origin`), in 4 bytes while the index spans fewer
 * than 2^32 offsets; byte offsets in 4 bytes while all are below 4 GiB. Either widens to 8
 * bytes when a value does not fit and narrows back when none is left that needs it, so the
 * layout depends only on what the index holds (the snapshot encoding is canonical).
 */
export class BatchIndex {
  length = 0;
  /** Base offset of the first batch (0 when empty). */
  origin = 0;
  /** One past the last batch's last offset (0 when empty). */
  end = 0;
  /** Base offset of batch i minus `origin`. */
  rel: WideColumn = EMPTY_U32;
  /** Index into the cluster's file table. */
  file: Uint32Array = EMPTY_U32;
  byteOffset: WideColumn = EMPTY_U32;
  byteLength: Uint32Array = EMPTY_U32;
  maxTimestamp: Float64Array = EMPTY_F64;
  /** Byte offsets of 4 GiB or more held (byteOffset is wide while there are any). */
  private wideByteOffsets = 0;
  /**
   * Snapshot captures holding these very arrays (state-capture.ts). Appends write past every
   * captured length, so they may share the arrays; anything that rewrites a slot in place
   * moves to fresh arrays first while a capture holds them (copy on write). `generation`
   * changes whenever all arrays are replaced, so a capture knows whether its pin still counts.
   */
  pins = 0;
  generation = 0;

  get capacity(): number {
    return this.file.length;
  }

  get relWide(): boolean {
    return this.rel instanceof Float64Array;
  }

  get byteOffsetWide(): boolean {
    return this.byteOffset instanceof Float64Array;
  }

  baseOffset(i: number): number {
    return this.origin + this.rel[i];
  }

  /** One past the last offset of batch i. */
  nextOffset(i: number): number {
    return i + 1 < this.length ? this.origin + this.rel[i + 1] : this.end;
  }

  lastOffset(i: number): number {
    return this.nextOffset(i) - 1;
  }

  recordCount(i: number): number {
    return this.nextOffset(i) - this.baseOffset(i);
  }

  /** Appends a batch starting at `baseOffset`, which must be `end` unless the index is empty. */
  push(baseOffset: number, recordCount: number, file: number, byteOffset: number, byteLength: number, maxTimestamp: number): number {
    if (this.length > 0 && baseOffset !== this.end) throw new Error(`batch at ${baseOffset} does not follow the index's end ${this.end}`);
    // Grows by a quarter: at most a fifth of a large index is spare (24 bytes a slot).
    if (this.length === this.capacity) this.resize(Math.max(8, Math.ceil(this.capacity * 1.25)));
    if (this.length === 0) this.origin = baseOffset;
    this.end = baseOffset + recordCount;
    if (this.end - this.origin >= TWO_POW_32 && !this.relWide) this.rel = widen(this.rel, this.length);
    if (byteOffset >= TWO_POW_32 && this.wideByteOffsets++ === 0) this.byteOffset = widen(this.byteOffset, this.length);
    const i = this.length++;
    this.rel[i] = baseOffset - this.origin;
    this.file[i] = file;
    this.byteOffset[i] = byteOffset;
    this.byteLength[i] = byteLength;
    this.maxTimestamp[i] = maxTimestamp;
    return i;
  }

  /** Position of the batch holding `offset`, or -1 when no batch does. */
  find(offset: number): number {
    if (this.length === 0 || offset < this.origin || offset >= this.end) return -1;
    const target = offset - this.origin;
    const rel = this.rel;
    let lo = 0;
    let hi = this.length - 1;
    // Batches of a partition tend to hold similar record counts: try where the offset would
    // sit if they were all alike (one probe of a cold array instead of ten), then search the
    // side it fell on.
    const guess = Math.min(hi, Math.floor((target / (this.end - this.origin)) * this.length));
    if (rel[guess] <= target) {
      if (guess === hi || rel[guess + 1] > target) return guess;
      lo = guess + 1;
    } else hi = guess - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (rel[mid] <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Points batch i at another file and byte offset (compaction), copying the arrays first while a capture holds them. */
  relocate(i: number, file: number, byteOffset: number): void {
    if (this.pins > 0) this.resize(this.capacity);
    const was = this.byteOffset[i];
    if (byteOffset >= TWO_POW_32 && this.wideByteOffsets++ === 0) this.byteOffset = widen(this.byteOffset, this.length);
    this.file[i] = file;
    this.byteOffset[i] = byteOffset;
    if (was >= TWO_POW_32 && --this.wideByteOffsets === 0) this.byteOffset = narrow(this.byteOffset, this.capacity, this.length);
  }

  /**
   * Removes the first `k` batches. The rest moves down either way; when more than an eighth
   * of the capacity would be spare, it moves into tighter arrays instead, so that an index
   * under steady retention (appends at the end, drops at the front) stays as compact as a
   * fresh one. While a snapshot capture holds the arrays, they move too (copy on write).
   */
  dropFront(k: number): void {
    const n = this.length - k;
    for (let i = 0; i < k; i++) if (this.byteOffset[i] >= TWO_POW_32) this.wideByteOffsets--;
    const shift = k < this.length ? this.rel[k] : 0;
    const origin = k < this.length ? this.origin + shift : 0;
    const relWide = n > 0 && this.end - origin >= TWO_POW_32;
    const offsetsWide = this.wideByteOffsets > 0;
    const tight = Math.max(8, Math.ceil(n * 1.125));
    if (this.pins > 0 || this.capacity > tight + 16 || relWide !== this.relWide || offsetsWide !== this.byteOffsetWide) {
      const cap = this.pins > 0 || this.capacity > tight + 16 ? tight : this.capacity;
      this.replaced();
      this.rel = rebase(this.rel, relWide ? new Float64Array(cap) : new Uint32Array(cap), k, n, shift);
      this.file = moved(this.file, new Uint32Array(cap), k, n);
      this.byteOffset = moved(this.byteOffset, offsetsWide ? new Float64Array(cap) : new Uint32Array(cap), k, n);
      this.byteLength = moved(this.byteLength, new Uint32Array(cap), k, n);
      this.maxTimestamp = moved(this.maxTimestamp, new Float64Array(cap), k, n);
    } else {
      rebase(this.rel, this.rel, k, n, shift);
      for (const col of [this.file, this.byteOffset, this.byteLength, this.maxTimestamp]) col.copyWithin(0, k, this.length);
    }
    this.length = n;
    this.origin = n > 0 ? origin : 0;
    if (n === 0) this.end = 0;
  }

  /** Drops spare capacity (after loading a snapshot, where the final size is known). */
  trim(): void {
    if (this.capacity !== this.length) this.resize(this.length);
  }

  /** Allocates exactly `n` slots of the given widths, for decoding; origin and end are the caller's to set. */
  allocate(n: number, relWide: boolean, byteOffsetWide: boolean): void {
    this.replaced();
    this.length = n;
    this.rel = relWide ? new Float64Array(n) : new Uint32Array(n);
    this.file = new Uint32Array(n);
    this.byteOffset = byteOffsetWide ? new Float64Array(n) : new Uint32Array(n);
    this.byteLength = new Uint32Array(n);
    this.maxTimestamp = new Float64Array(n);
  }

  /**
   * After decoding into allocated columns: checks what the layout promises (offsets rising
   * from 0, within `end`, widths as the values need) and counts the wide byte offsets.
   */
  checkDecoded(): void {
    const n = this.length;
    if (n === 0) return;
    const span = this.end - this.origin;
    if (this.rel[0] !== 0) throw new Error('the first batch of an index is not at its origin');
    for (let i = 1; i < n; i++) if (!(this.rel[i] > this.rel[i - 1])) throw new Error('batch offsets of an index do not rise');
    if (!(this.rel[n - 1] < span)) throw new Error("the last batch of an index starts past the index's end");
    if ((span >= TWO_POW_32) !== this.relWide) throw new Error('an index column has the wrong width');
    let wide = 0;
    for (let i = 0; i < n; i++) if (this.byteOffset[i] >= TWO_POW_32) wide++;
    if ((wide > 0) !== this.byteOffsetWide) throw new Error('an index column has the wrong width');
    this.wideByteOffsets = wide;
  }

  private replaced(): void {
    this.pins = 0;
    this.generation++;
  }

  private resize(capacity: number): void {
    // New arrays: no capture holds them.
    this.replaced();
    const n = this.length;
    this.rel = moved(this.rel, this.relWide ? new Float64Array(capacity) : new Uint32Array(capacity), 0, n);
    this.file = moved(this.file, new Uint32Array(capacity), 0, n);
    this.byteOffset = moved(this.byteOffset, this.byteOffsetWide ? new Float64Array(capacity) : new Uint32Array(capacity), 0, n);
    this.byteLength = moved(this.byteLength, new Uint32Array(capacity), 0, n);
    this.maxTimestamp = moved(this.maxTimestamp, new Float64Array(capacity), 0, n);
  }
}

/** Elements [from, from + n) of `src` at the start of `to`. */
function moved<T extends WideColumn>(src: WideColumn, to: T, from: number, n: number): T {
  if (n > 0) to.set(src.subarray(from, from + Math.min(n, to.length)));
  return to;
}

/** Relative offsets [from, from + n) of `src`, less `shift`, at the start of `to` (which may be `src`). */
function rebase<T extends WideColumn>(src: WideColumn, to: T, from: number, n: number, shift: number): T {
  for (let i = 0; i < n; i++) to[i] = src[from + i] - shift;
  return to;
}

// A widened column is a new array: a capture still holds the old one, whose values are unchanged.
const widen = (col: WideColumn, n: number) => moved(col, new Float64Array(col.length), 0, n);
const narrow = (col: WideColumn, capacity: number, n: number) => moved(col, new Uint32Array(capacity), 0, n);
