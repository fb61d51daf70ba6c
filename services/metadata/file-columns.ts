/**
 * The file table's per-file fields as columns indexed by file number (file-table.ts): numbers
 * in typed arrays and fingerprints as 16 raw bytes each, instead of an object per file. At
 * 50,000 files the records were half the heap's objects; every object costs the collector
 * (marked on each full collection, copied twice by the scavenger when young), a column entry
 * costs it nothing. The strings that fetch plans hand out stay strings (file-table.ts).
 */
const FP_BYTES = 16;
/**
 * 16 bytes in unpadded base64url, as ops.ts and compaction.ts write fingerprints: 22 characters,
 * the last carrying 2 bits and 4 zero bits, so decoding and encoding again gives the same text.
 */
const CANONICAL_FP = /^[A-Za-z0-9_-]{21}[AQgw]$/;

export class FileColumns {
  private capacity = 0;
  sizeBytes = new Float64Array(0);
  committedAt = new Float64Array(0);
  markedAt = new Float64Array(0);
  markSeq = new Float64Array(0);
  live = new Uint32Array(0);
  state = new Uint8Array(0);
  private fingerprints = Buffer.alloc(0);
  /** Fingerprints not of the 16-byte form (none that this code writes; kept exact all the same). */
  private readonly oddFingerprints = new Map<number, string>();

  /** Makes room for file number `n`; grows by half, copying (a few milliseconds at a million files). */
  ensure(n: number): void {
    if (n < this.capacity) return;
    const cap = Math.max(n + 1, Math.ceil(this.capacity * 1.5), 1024);
    this.sizeBytes = grown(this.sizeBytes, new Float64Array(cap));
    this.committedAt = grown(this.committedAt, new Float64Array(cap));
    this.markedAt = grown(this.markedAt, new Float64Array(cap));
    this.markSeq = grown(this.markSeq, new Float64Array(cap));
    this.live = grown(this.live, new Uint32Array(cap));
    this.state = grown(this.state, new Uint8Array(cap));
    this.fingerprints = grown(this.fingerprints, Buffer.alloc(cap * FP_BYTES));
    this.capacity = cap;
  }

  setFingerprint(n: number, fp: string): void {
    const at = n * FP_BYTES;
    if (CANONICAL_FP.test(fp)) {
      this.fingerprints.write(fp, at, FP_BYTES, 'base64url');
      if (this.oddFingerprints.size > 0) this.oddFingerprints.delete(n);
    } else {
      this.oddFingerprints.set(n, fp);
    }
  }

  fingerprint(n: number): string {
    const odd = this.oddFingerprints.size > 0 ? this.oddFingerprints.get(n) : undefined;
    return odd ?? this.fingerprints.toString('base64url', n * FP_BYTES, (n + 1) * FP_BYTES);
  }

  /** Slot `n` holds no file any more. */
  clear(n: number): void {
    this.sizeBytes[n] = this.committedAt[n] = this.markedAt[n] = this.markSeq[n] = 0;
    this.live[n] = this.state[n] = 0;
    if (this.oddFingerprints.size > 0) this.oddFingerprints.delete(n);
  }
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(old: T, into: T): T {
  into.set(old);
  return into;
}
