/**
 * A file's per-batch results (state.ts's packed numbers) kept as one short Latin-1 string of
 * zigzag base-128 varints instead of an array: about 3 bytes a batch instead of 8 plus the
 * array's headers. Every committed file keeps them for as long as it is recorded (a retried
 * commit answers from them), so at a million batches this is about 6 bytes a batch. They are
 * read back whole, only for retries and snapshots.
 */
export type PackedResults = string & { readonly __packedResults: unique symbol };

const TWO_POW_31 = 2 ** 31;

export function packResults(values: readonly number[]): PackedResults {
  const codes: number[] = [];
  for (const v of values) {
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    while (z >= 0x80) {
      codes.push(z < TWO_POW_31 ? (z & 0x7f) | 0x80 : (z % 0x80) | 0x80);
      z = z < TWO_POW_31 ? z >>> 7 : Math.floor(z / 0x80);
    }
    codes.push(z);
  }
  // Char codes below 256: V8 keeps the string at one byte a character.
  let s = '';
  for (let i = 0; i < codes.length; i += 4096) s += String.fromCharCode(...codes.slice(i, i + 4096));
  return s as PackedResults;
}

export function unpackResults(s: PackedResults): number[] {
  const out: number[] = [];
  let z = 0;
  let scale = 1;
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    z += (b & 0x7f) * scale;
    if (b < 0x80) {
      out.push(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
      z = 0;
      scale = 1;
    } else scale *= 0x80;
  }
  return out;
}

/** How many results the string holds (one varint ends at each byte below 0x80). */
export function resultCount(s: PackedResults): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x80) n++;
  return n;
}
