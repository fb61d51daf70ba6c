import { createHash } from 'node:crypto';

/**
 * The records of the region-outage bench: fixed-size text records, each carrying the canary
 * string of the run, its producer and its sequence number, so that a consumer can tell from
 * the bytes alone which record it holds, whether it belongs to this run, and whether it was
 * written twice. A batch is records back to back.
 */
export const RECORD_BYTES = 64;

export interface RecordId {
  producer: string;
  seq: number;
}

export function encodeBatch(canary: string, producer: string, firstSeq: number, count: number): Buffer {
  const out = Buffer.alloc(RECORD_BYTES * count, '.');
  for (let i = 0; i < count; i++) {
    const head = `${canary} ${producer} ${firstSeq + i} `;
    if (head.length > RECORD_BYTES - 1) throw new Error('canary and producer name leave no room in a record');
    out.write(head, i * RECORD_BYTES, 'latin1');
    out.write('\n', (i + 1) * RECORD_BYTES - 1, 'latin1');
  }
  return out;
}

/** The records of a batch, or an error naming what is wrong with its bytes. */
export function decodeBatch(canary: string, bytes: Buffer): RecordId[] | { error: string } {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) return { error: `batch of ${bytes.length} bytes is not whole records` };
  const out: RecordId[] = [];
  for (let at = 0; at < bytes.length; at += RECORD_BYTES) {
    const [c, producer, seq] = bytes.subarray(at, at + RECORD_BYTES).toString('latin1').split(' ');
    if (c !== canary) return { error: `record at byte ${at} lacks the canary` };
    if (!/^\d+$/.test(seq ?? '')) return { error: `record at byte ${at} has no sequence number` };
    out.push({ producer, seq: Number(seq) });
  }
  return out;
}

export const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url');
