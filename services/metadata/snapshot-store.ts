import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { createDeflateRaw, inflateRaw } from 'node:zlib';
import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import { SNAPSHOT_POINTER_SK, snapshotChunkSk } from './keys';

/**
 * Snapshots of a cluster's encoded state: chunks first (each well under the 400 KB item
 * limit), then the pointer, moved forward with a compare-and-set. A reader trusts only what
 * a pointer names and checks the bytes against its hash. The pointer also describes the
 * snapshot before it, which is kept (for readers still loading it, and as a fallback should
 * the latest be unreadable); chunks of older ones are deleted. The state is stored deflated
 * (about 3.5 times smaller), compressed and inflated on libuv's thread pool, not the event loop.
 */
export interface SnapshotRef {
  /** The journal entry the snapshot includes. */
  seq: number;
  chunks: number;
  /** Stored (compressed) size; the hash covers these bytes. */
  bytes: number;
  sha256: string;
  /** Size of the encoded state. */
  rawBytes: number;
  encoding: 'deflate-raw';
}

export interface SnapshotPointer extends SnapshotRef {
  createdAt: number;
  previous: SnapshotRef | null;
}

export class SnapshotUnreadableError extends Error {
  constructor(seq: number, why: string) {
    super(`snapshot ${seq} cannot be read: ${why}`);
    this.name = 'SnapshotUnreadableError';
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('base64url');
const inflate = promisify(inflateRaw);

/** Deflated bytes as the stream gave them (never joined), their total length and hash. */
interface Deflated {
  pieces: Buffer[];
  length: number;
  sha256: string;
}

/** Input and output pieces of the deflater: small enough that handling one is a short task. */
const DEFLATE_PIECE = 256 * 1024;
/** Parts at least this large go to the deflater as they are; smaller runs are joined first. */
const JOIN_BELOW = 64 * 1024;

/**
 * Deflates the parts in order as one stream, on libuv's pool, hashing each piece as it comes.
 * Nothing large is joined or copied on the event loop at once: large parts are read where
 * they lie, runs of small ones (a partition's columns are a few KB each) are joined into
 * pieces of at most 256 KB, and the next piece is fed only when the deflater has drained
 * the last, so each event-loop task handles one piece (a thousand tiny writes queued at once
 * cost one long task, and a round trip to the pool each). The output stays in the stream's pieces.
 * A joined piece's buffer is reused once the deflater has consumed it (its write's callback):
 * fresh 256 KB buffers for a million-batch state's columns were some 30–40 MB of ArrayBuffers
 * per snapshot, and that much new external memory makes V8 collect ("external memory pressure").
 */
function deflateParts(parts: readonly Uint8Array[]): Promise<Deflated> {
  return new Promise((resolve, reject) => {
    const z = createDeflateRaw({ level: 1, chunkSize: DEFLATE_PIECE });
    const pieces: Buffer[] = [];
    const hash = createHash('sha256');
    let length = 0;
    z.on('data', (b: Buffer) => {
      pieces.push(b);
      hash.update(b);
      length += b.length;
    });
    z.on('error', reject);
    z.on('end', () => resolve({ pieces, length, sha256: hash.digest('base64url') }));
    let i = 0;
    /** Join buffers the deflater is done with. */
    const spare: Buffer[] = [];
    /** The next piece, and the join buffer it lies in (to hand back once consumed). */
    const nextPiece = (): [Uint8Array, Buffer?] => {
      if (parts[i].length >= JOIN_BELOW) return [parts[i++]];
      let n = 0;
      let j = i;
      while (j < parts.length && parts[j].length < JOIN_BELOW && n + parts[j].length <= DEFLATE_PIECE) n += parts[j++].length;
      if (j === i + 1) return [parts[i++]];
      const buffer = spare.pop() ?? Buffer.allocUnsafe(DEFLATE_PIECE);
      let at = 0;
      for (; i < j; i++) {
        buffer.set(parts[i], at);
        at += parts[i].length;
      }
      return [buffer.subarray(0, n), buffer];
    };
    // After each piece the deflater rests as long as the piece took: at most half a core goes
    // to a snapshot's compression, the rest stays with the requests the leader serves.
    const feed = () => {
      while (i < parts.length) {
        if (parts[i].length === 0) {
          i++;
          continue;
        }
        const began = performance.now();
        const [piece, buffer] = nextPiece();
        const written = z.write(piece, buffer && (() => spare.push(buffer)));
        if (!written) return void z.once('drain', () => setTimeout(feed, performance.now() - began));
      }
      z.end();
    };
    feed();
  });
}

/** Bytes [start, end) of the pieces: a view when one piece holds them, else a copy of just that range. */
function range(pieces: Buffer[], start: number, end: number): Uint8Array {
  const out: Buffer[] = [];
  let pos = 0;
  for (const p of pieces) {
    const from = Math.max(start, pos);
    const to = Math.min(end, pos + p.length);
    if (from < to) out.push(p.subarray(from - pos, to - pos));
    pos += p.length;
    if (pos >= end) break;
  }
  return out.length === 1 ? out[0] : Buffer.concat(out);
}

/** Stale chunks deleted per store request. */
const STALE_CHUNKS_PER_DELETE = 4;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `fn` over 0..n-1 with at most `width` calls in flight. */
async function eachLimited(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
}

export function snapshotStore(db: Db, table: string) {
  /** A cluster's items belong to its tenant: that tenant's view of the store. */
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  const pointerKey = (pk: string) => ({ pk, sk: SNAPSHOT_POINTER_SK });

  return {
    async readPointer(pk: string): Promise<SnapshotPointer | undefined> {
      const item = await at(pk).get<SnapshotPointer & { pk: string; sk: string }>(table, pointerKey(pk));
      if (!item) return undefined;
      const { seq, chunks, bytes, sha256: hash, rawBytes, encoding, createdAt, previous } = item;
      return { seq: Number(seq), chunks: Number(chunks), bytes: Number(bytes), sha256: hash, rawBytes: Number(rawBytes), encoding, createdAt: Number(createdAt), previous: previous ?? null };
    },

    async load(pk: string, ptr: SnapshotRef, width = 8): Promise<Uint8Array> {
      const out = new Uint8Array(ptr.bytes);
      const parts: Uint8Array[] = new Array(ptr.chunks);
      await eachLimited(ptr.chunks, width, async (i) => {
        const item = await at(pk).get(table, { pk, sk: snapshotChunkSk(ptr.seq, i) });
        if (!item) throw new SnapshotUnreadableError(ptr.seq, `chunk ${i} is missing`);
        parts[i] = item.data as Uint8Array;
      });
      let pos = 0;
      for (const p of parts) {
        if (pos + p.length > out.length) throw new SnapshotUnreadableError(ptr.seq, 'chunks exceed the recorded size');
        out.set(p, pos);
        pos += p.length;
      }
      if (pos !== out.length || sha256(out) !== ptr.sha256) throw new SnapshotUnreadableError(ptr.seq, 'content does not match its hash');
      if (ptr.encoding !== 'deflate-raw') throw new SnapshotUnreadableError(ptr.seq, `unknown encoding ${String(ptr.encoding)}`);
      const raw = await inflate(out);
      if (raw.length !== ptr.rawBytes) throw new SnapshotUnreadableError(ptr.seq, 'inflated size differs from the recorded one');
      return raw;
    },

    /**
     * Writes the snapshot of the state after entry `seq` (its encoded bytes, whole or as parts
     * in order). Returns the new pointer, or null when a snapshot at least as new was already
     * in place.
     */
    async write(pk: string, seq: number, state: Uint8Array | readonly Uint8Array[], opts: { chunkBytes: number; createdAt: number; width?: number }): Promise<SnapshotPointer | null> {
      const current = await this.readPointer(pk);
      if (current && current.seq >= seq) return null;
      const parts = state instanceof Uint8Array ? [state] : state;
      let rawBytes = 0;
      for (const p of parts) rawBytes += p.length;
      const deflated = await deflateParts(parts);
      const chunks = Math.max(1, Math.ceil(deflated.length / opts.chunkBytes));
      // One chunk at a time, with the event loop free between them: serializing a chunk (and,
      // for the embedded store, parsing it) is a synchronous stretch, and chunks in flight
      // together ran back to back in one phase of the loop (a 100 ms stall at 1M batches).
      await eachLimited(chunks, opts.width ?? 1, async (i) => {
        if (i > 0) await yieldToLoop();
        const data = range(deflated.pieces, i * opts.chunkBytes, Math.min(deflated.length, (i + 1) * opts.chunkBytes));
        await at(pk).put(table, { pk, sk: snapshotChunkSk(seq, i), data });
      });
      const pointer: SnapshotPointer = {
        seq,
        chunks,
        bytes: deflated.length,
        sha256: deflated.sha256,
        rawBytes,
        encoding: 'deflate-raw',
        createdAt: opts.createdAt,
        previous: current
          ? { seq: current.seq, chunks: current.chunks, bytes: current.bytes, sha256: current.sha256, rawBytes: current.rawBytes, encoding: current.encoding }
          : null,
      };
      const moved = await at(pk).put(
        table,
        { ...pointerKey(pk), ...pointer },
        current ? { expr: 'seq = :seen', values: { ':seen': current.seq } } : { expr: 'attribute_not_exists(sk)' },
      );
      if (!moved) return null;
      const stale = current?.previous;
      if (stale) {
        // A few chunks per request, the loop free between them: the embedded store reads each
        // item it deletes, and 25 large chunks read in one go were a 50 ms stall at 1M batches.
        const keys = Array.from({ length: stale.chunks }, (_, i) => ({ pk, sk: snapshotChunkSk(stale.seq, i) }));
        for (let i = 0; i < keys.length; i += STALE_CHUNKS_PER_DELETE) {
          if (i > 0) await yieldToLoop();
          await at(pk).deleteMany(table, keys.slice(i, i + STALE_CHUNKS_PER_DELETE));
        }
      }
      return pointer;
    },

    /**
     * Deletes up to `limit` chunks of snapshots older than `keepFromSeq` (those a crash left
     * behind between moving the pointer and deleting; normally there are none). Returns how
     * many it deleted.
     */
    async deleteOlderThan(pk: string, keepFromSeq: number, limit: number): Promise<number> {
      if (keepFromSeq <= 0) return 0;
      const page = await at(pk).query<{ sk: string }>({
        table,
        keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
        values: { ':pk': pk, ':from': snapshotChunkSk(0, 0), ':to': snapshotChunkSk(keepFromSeq - 1, 999_999) },
        projection: 'sk',
        limit,
      });
      await at(pk).deleteMany(table, page.items.map((i) => ({ pk, sk: i.sk })));
      return page.items.length;
    },
  };
}
export type SnapshotStore = ReturnType<typeof snapshotStore>;
