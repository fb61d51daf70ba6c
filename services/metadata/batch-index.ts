const EMPTY_F64 = new Float64Array(0);
const EMPTY_U32 = new Uint32Array(0);

/**
 * One partition's batches, sorted by offset, stored column by column in typed arrays:
 * 36 bytes per batch (plus spare capacity) instead of a JavaScript object each.
 * Offsets are contiguous: batch i+1 starts right after batch i ends.
 */
export class BatchIndex {
  length = 0;
  baseOffset: Float64Array = EMPTY_F64;
  /** Records in the batch; lastOffset = baseOffset + recordCount - 1. */
  recordCount: Uint32Array = EMPTY_U32;
  /** Index into the cluster's file table. */
  file: Uint32Array = EMPTY_U32;
  byteOffset: Float64Array = EMPTY_F64;
  byteLength: Uint32Array = EMPTY_U32;
  maxTimestamp: Float64Array = EMPTY_F64;
  /**
   * Snapshot captures holding these very arrays (state-capture.ts). Appends write past every
   * captured length, so they may share the arrays; anything that rewrites a slot in place
   * moves to fresh arrays first while a capture holds them (copy on write).
   */
  pins = 0;

  get capacity(): number {
    return this.baseOffset.length;
  }

  push(baseOffset: number, recordCount: number, file: number, byteOffset: number, byteLength: number, maxTimestamp: number): number {
    // Grows by a quarter: at most a fifth of a large index is spare (36 bytes a slot).
    if (this.length === this.capacity) this.resize(Math.max(8, Math.ceil(this.capacity * 1.25)));
    const i = this.length++;
    this.baseOffset[i] = baseOffset;
    this.recordCount[i] = recordCount;
    this.file[i] = file;
    this.byteOffset[i] = byteOffset;
    this.byteLength[i] = byteLength;
    this.maxTimestamp[i] = maxTimestamp;
    return i;
  }

  lastOffset(i: number): number {
    return this.baseOffset[i] + this.recordCount[i] - 1;
  }

  /** Position of the batch holding `offset`, or -1 when no batch does. */
  find(offset: number): number {
    let lo = 0;
    let hi = this.length - 1;
    if (hi < 0 || offset < this.baseOffset[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.baseOffset[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return offset <= this.lastOffset(lo) ? lo : -1;
  }

  /**
   * Removes the first `k` batches. The rest moves down either way; when more than an eighth
   * of the capacity would be spare, it moves into tighter arrays instead, so that an index
   * under steady retention (appends at the end, drops at the front) stays as compact as a
   * fresh one. While a snapshot capture holds the arrays, they move too (copy on write).
   */
  dropFront(k: number): void {
    const n = this.length - k;
    const tight = Math.max(8, Math.ceil(n * 1.125));
    if (this.pins > 0 || this.capacity > tight + 16) {
      this.pins = 0;
      this.baseOffset = grow(this.baseOffset.subarray(k), new Float64Array(tight), n);
      this.recordCount = grow(this.recordCount.subarray(k), new Uint32Array(tight), n);
      this.file = grow(this.file.subarray(k), new Uint32Array(tight), n);
      this.byteOffset = grow(this.byteOffset.subarray(k), new Float64Array(tight), n);
      this.byteLength = grow(this.byteLength.subarray(k), new Uint32Array(tight), n);
      this.maxTimestamp = grow(this.maxTimestamp.subarray(k), new Float64Array(tight), n);
    } else {
      for (const col of [this.baseOffset, this.recordCount, this.file, this.byteOffset, this.byteLength, this.maxTimestamp]) col.copyWithin(0, k, this.length);
    }
    this.length = n;
  }

  /** Drops spare capacity (after loading a snapshot, where the final size is known). */
  trim(): void {
    if (this.capacity !== this.length) this.resize(this.length);
  }

  /** Allocates exactly `n` slots, for decoding. */
  allocate(n: number): void {
    this.length = n;
    this.resize(n);
  }

  private resize(capacity: number): void {
    // New arrays: no capture holds them.
    this.pins = 0;
    this.baseOffset = grow(this.baseOffset, new Float64Array(capacity), this.length);
    this.recordCount = grow(this.recordCount, new Uint32Array(capacity), this.length);
    this.file = grow(this.file, new Uint32Array(capacity), this.length);
    this.byteOffset = grow(this.byteOffset, new Float64Array(capacity), this.length);
    this.byteLength = grow(this.byteLength, new Uint32Array(capacity), this.length);
    this.maxTimestamp = grow(this.maxTimestamp, new Float64Array(capacity), this.length);
  }
}

function grow<T extends Float64Array | Uint32Array>(from: T, to: T, n: number): T {
  if (n > 0) to.set(from.subarray(0, Math.min(n, to.length)));
  return to;
}
