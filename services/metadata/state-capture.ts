import { columnsOf, type BatchIndex, type PinnedRows, type WideColumn } from './batch-index';
import { ByteWriter } from './bytes';
import { scratchFile, type FileCapture, type FileRecord, type FileTable } from './file-table';
import type { ClusterState, PartitionLog, Topic } from './state';

/**
 * A state's snapshot bytes, taken in two steps so that a leader at a million batches does not
 * stop serving while it encodes (a single pass took about 190 ms there).
 *
 * `captureState` runs at one instant, between two groups, and costs O(partitions): the file
 * table starts a copy-on-write capture (file-table.ts), every partition's index rows are
 * pinned (copy on write: BatchIndex.pins), and the small rest (topic heads, producer windows,
 * producer ids, groups, missing replicas) is encoded at once. `encodeCaptureSliced` then
 * writes the file records in slices that leave the event loop free between them, while the
 * state moves on. Each partition's pinned rows are written as its columns (the snapshot's
 * layout) in those slices too, and handed to the deflater (on libuv's pool). The bytes are
 * exactly those of a one-pass encode of the state at the capture (state-codec.ts's canonical form).
 */
export type FileWriter = (w: ByteWriter, f: FileRecord) => void;

export interface CaptureWriters {
  format: number;
  /** A topic's fields before its partitions. */
  writeTopicHead(w: ByteWriter, t: Topic): void;
  /** A partition's fields after its index columns. */
  writePartitionTail(w: ByteWriter, p: PartitionLog): void;
  /** What follows the topics. */
  writeRest(w: ByteWriter, state: ClusterState): void;
}

/** A run of the capture's own bytes, a partition's index rows (written as its columns), or the place of the file records. */
type Part = { kind: 'meta'; start: number; end: number } | { kind: 'index'; rows: PinnedRows } | { kind: 'files' };

export interface StateCapture {
  readonly table: FileTable;
  readonly files: FileCapture;
  readonly parts: Part[];
  readonly meta: Uint8Array;
  /** Indexes pinned by this capture, each with the generation of the arrays it pinned. */
  readonly pinned: [BatchIndex, number][];
  released: boolean;
}

export function captureState(state: ClusterState, writers: CaptureWriters, pin: boolean): StateCapture {
  const files = state.files.beginCapture();
  const w = new ByteWriter(4096 + state.totalPartitions * 24);
  const parts: Part[] = [];
  const pinned: [BatchIndex, number][] = [];
  let from = 0;
  const cut = () => {
    if (w.length > from) parts.push({ kind: 'meta', start: from, end: w.length });
    from = w.length;
  };
  w.u8(writers.format);
  w.uint(files.span);
  w.uint(files.size);
  w.uint(files.nextMarkSeq);
  cut();
  parts.push({ kind: 'files' });
  const names = [...state.topics.keys()].sort();
  w.uint(names.length);
  for (const name of names) {
    const t = state.topics.get(name)!;
    writers.writeTopicHead(w, t);
    w.uint(t.partitions.length);
    for (const p of t.partitions) {
      w.uint(p.logStartOffset);
      w.uint(p.highWatermark);
      const ix = p.index;
      const n = ix.length;
      w.uint(n);
      if (n > 0) {
        w.uint(ix.origin);
        w.uint(ix.end);
        w.u8((ix.relWide ? 1 : 0) | (ix.byteOffsetWide ? 2 : 0));
        cut();
        parts.push({ kind: 'index', rows: ix.pinnedRows() });
        if (pin) {
          ix.pins++;
          pinned.push([ix, ix.generation]);
        }
      }
      writers.writePartitionTail(w, p);
    }
  }
  writers.writeRest(w, state);
  cut();
  return { table: state.files, files, parts, meta: w.finish(), pinned, released: false };
}

/** Ends the capture: the file table stops saving, and a later in-place change of a column need not copy it. */
export function releaseCapture(c: StateCapture): void {
  if (c.released) return;
  c.released = true;
  c.table.endCapture(c.files);
  for (const [ix, generation] of c.pinned) if (ix.generation === generation && ix.pins > 0) ix.pins--;
  c.pinned.length = 0;
}

/** Encodes file records [from, to) as they were at the capture. */
function encodeFiles(c: StateCapture, writeFile: FileWriter, from: number, to: number, w: ByteWriter): void {
  const scratch = scratchFile();
  for (let n = from; n < to; n++) {
    const f = c.table.captured(c.files, n, scratch);
    if (!f) continue;
    w.uint(n);
    writeFile(w, f);
  }
}

const view = (arr: WideColumn, n: number) => new Uint8Array(arr.buffer, arr.byteOffset, n * arr.BYTES_PER_ELEMENT);

function partBytes(c: StateCapture, p: Part, files: Uint8Array[], out: Uint8Array[]): void {
  if (p.kind === 'meta') out.push(c.meta.subarray(p.start, p.end));
  else if (p.kind === 'index') for (const col of columnsOf(p.rows)) out.push(view(col, p.rows.n));
  else out.push(...files);
}

/** The capture's bytes in one pass, as parts in order; releases the capture's file table (columns stay pinned only if pinned). */
export function encodeCaptureNow(c: StateCapture, writeFile: FileWriter): Uint8Array[] {
  const w = new ByteWriter(1024 + c.files.size * 200);
  encodeFiles(c, writeFile, 0, c.files.span, w);
  const out: Uint8Array[] = [];
  for (const p of c.parts) partBytes(c, p, [w.finish()], out);
  return out;
}

const STEPS_PER_CHECK = 256;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The capture's bytes as parts in order, written in slices of at most about `sliceMs` of work
 * with the event loop free between them. Release the capture (releaseCapture) once the parts
 * are consumed; until then in-place changes of its partitions copy their rows.
 */
export async function encodeCaptureSliced(c: StateCapture, writeFile: FileWriter, sliceMs = 2, step = STEPS_PER_CHECK): Promise<Uint8Array[]> {
  const files: Uint8Array[] = [];
  const span = c.files.span;
  let n = 0;
  let began = performance.now();
  const overBudget = async () => {
    if (performance.now() - began < sliceMs) return;
    await yieldToLoop();
    began = performance.now();
  };
  while (n < span) {
    const w = new ByteWriter(256 * 1024);
    while (n < span && w.length < 192 * 1024) {
      const to = Math.min(span, n + step);
      encodeFiles(c, writeFile, n, to, w);
      n = to;
      if (performance.now() - began >= sliceMs) break;
    }
    files.push(w.finish());
    await overBudget();
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < c.parts.length; i++) {
    partBytes(c, c.parts[i], files, out);
    // A partition's rows are turned into its columns here: a few microseconds each, checked each time.
    if (i % step === 0 || c.parts[i].kind === 'index') await overBudget();
  }
  return out;
}

export function totalLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}
