import { endianness } from 'node:os';

// Columns of typed arrays are copied byte for byte into snapshots; the format is little-endian.
if (endianness() !== 'LE') throw new Error('the metadata snapshot format assumes a little-endian host');

const TWO_POW_31 = 2 ** 31;

/**
 * A growable binary writer: unsigned varints (up to 2^53), zigzag varints for values that
 * may be negative, length-prefixed UTF-8 strings and raw byte runs. Every encoded form in the
 * journal and in snapshots is built with it, so one value always has one encoding.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned integer 0..2^53-1 as a base-128 varint. */
  uint(v: number): void {
    this.ensure(8);
    if (v < TWO_POW_31) {
      while (v >= 0x80) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Signed integer with |v| < 2^52, zigzag-encoded so small negatives stay short. */
  int(v: number): void {
    this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.uint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The first `n` elements of a typed array, as raw little-endian bytes. */
  column(arr: Float64Array | Uint32Array, n: number): void {
    this.raw(new Uint8Array(arr.buffer, arr.byteOffset, n * arr.BYTES_PER_ELEMENT));
  }

  /** What was written. A view, not a copy: the writer must not be used afterwards. */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

export class TruncatedInputError extends Error {
  constructor() {
    super('encoded metadata ends early');
    this.name = 'TruncatedInputError';
  }
}

/** Reads what ByteWriter wrote; throws TruncatedInputError instead of reading past the end. */
export class ByteReader {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new TruncatedInputError();
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new Error('varint longer than 8 bytes');
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  str(): string {
    const n = this.uint();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bytes(): Uint8Array {
    return this.raw(this.uint());
  }

  /** A copy of the next `n` bytes. */
  raw(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Fills `target` (a fresh typed array) from the next raw bytes. */
  column(target: Float64Array | Uint32Array): void {
    const n = target.byteLength;
    this.need(n);
    new Uint8Array(target.buffer, target.byteOffset, n).set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
  }
}
