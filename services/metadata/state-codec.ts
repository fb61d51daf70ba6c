import type { BatchIndex } from './batch-index';
import { ByteReader, ByteWriter } from './bytes';
import { readGroups, readProducerIds, writeGroups, writeProducerIds } from './state-codec-groups';
import { readConfig, writeConfig } from './ops';
import type { ProducerWindow } from './producer-window';
import { readMissingSection, writeMissingSection } from './replication';
import { captureState, encodeCaptureNow, encodeCaptureSliced, releaseCapture, type CaptureWriters, type StateCapture } from './state-capture';
import { ClusterState, FILE_DELETE_PENDING, FILE_LIVE, PartitionLog, Topic, type FileRecord } from './state';
import { packResults, unpackResults } from './packed-results';
import type { Replica } from './types';

/**
 * The canonical byte form of a ClusterState, used for snapshots and to compare states:
 * files in file-number order, topics sorted by name, producers by id, index columns as raw
 * little-endian arrays, then producer ids and groups. Only what cannot be derived is written;
 * the rest (file counters, free file numbers, the marked-file queue) is rebuilt on decode.
 */
/**
 * 2: file numbers with holes and mark order, producer windows' last use, producer ids, groups.
 * 3: the section of replicas reported missing at the end (2 is still read: none reported).
 * 4: the index's narrower layout (batch-index.ts): origin, end and column widths, then base
 *    offsets relative to the origin, files, byte offsets, byte lengths and timestamps; record
 *    counts follow from the offsets. 2 and 3 (six fixed-width columns) are still read.
 */
const STATE_FORMAT = 4;

const writers: CaptureWriters = {
  format: STATE_FORMAT,
  writeTopicHead(w, t) {
    w.str(t.name);
    w.str(t.id);
    w.uint(t.createdAt);
    writeConfig(w, t.config);
  },
  writePartitionTail(w, p) {
    const producers = p.producers ? [...p.producers.entries()].sort((a, b) => a[0] - b[0]) : [];
    w.uint(producers.length);
    for (const [id, win] of producers) {
      w.uint(id);
      w.uint(win.epoch);
      w.uint(win.lastAt);
      w.uint(win.entries.length);
      for (const v of win.entries) w.uint(v);
    }
  },
  writeRest(w, state) {
    writeProducerIds(w, state.producers);
    writeGroups(w, state.groups);
    writeMissingSection(w, state);
  },
};

/**
 * Layout: format, file table (span, count, next mark sequence, then each file by number),
 * topics by name (head, partitions: log start, high watermark, batch count, the index's
 * origin, end, widths and five columns, producer windows), producer ids, groups, missing replicas.
 */
export function encodeState(state: ClusterState): Uint8Array {
  const capture = captureState(state, writers, false);
  try {
    const b = Buffer.concat(encodeCaptureNow(capture, writeFile));
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  } finally {
    releaseCapture(capture);
  }
}

/** Takes the state's snapshot at this instant; encode it later with encodeCapturedState (see state-capture.ts). */
export function captureForSnapshot(state: ClusterState): StateCapture {
  return captureState(state, writers, true);
}

/** The capture's bytes as parts, encoded in slices that leave the event loop free between them. */
export function encodeCapturedState(c: StateCapture, sliceMs?: number, step?: number): Promise<Uint8Array[]> {
  return encodeCaptureSliced(c, writeFile, sliceMs, step);
}

function writeFile(w: ByteWriter, f: FileRecord): void {
  w.str(f.id);
  w.str(f.objectKey);
  w.uint(f.sizeBytes);
  w.uint(f.replicas.length);
  for (const r of f.replicas) {
    w.str(r.region);
    w.str(r.bucket);
    w.str(r.checksum);
  }
  w.str(f.fingerprint);
  w.uint(f.committedAt);
  const results = unpackResults(f.results);
  w.uint(results.length);
  for (const r of results) w.int(r);
  w.uint(f.live);
  w.u8(f.state);
  w.uint(f.markedAt);
  w.uint(f.markSeq);
}

export function decodeState(bytes: Uint8Array): ClusterState {
  const r = new ByteReader(bytes);
  const format = r.u8();
  if (format < 2 || format > STATE_FORMAT) throw new Error(`unknown metadata state format ${format}`);
  const state = new ClusterState();
  const span = r.uint();
  const count = r.uint();
  state.files.nextMarkSeq = r.uint();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const n = r.uint();
    if (n <= previous || n >= span) throw new Error(`file number ${n} is out of order or outside the table`);
    previous = n;
    const f = readFile(r, state);
    if (state.files.numberOf(f.id) !== undefined) throw new Error(`file ${f.id} appears twice`);
    state.files.load(n, f);
  }
  state.files.finishLoad(span);
  for (let n = r.uint(); n > 0; n--) {
    const t = readTopic(r, format);
    state.topics.set(t.name, t);
    state.totalPartitions += t.partitions.length;
  }
  checkFileReferences(state, span);
  readProducerIds(r, state.producers);
  readGroups(r, state.groups);
  if (format >= 3) readMissingSection(r, state);
  if (!r.done) throw new Error('metadata state has trailing bytes');
  return state;
}

/** Every batch names a file that exists, and each file's live count is its number of batches. */
function readIndex(r: ByteReader, ix: BatchIndex): void {
  const n = r.uint();
  if (n === 0) return;
  const origin = r.uint();
  const end = r.uint();
  const widths = r.u8();
  if (widths > 3) throw new Error(`bad index widths ${widths}`);
  const relWide = (widths & 1) !== 0;
  const byteOffsetWide = (widths & 2) !== 0;
  const cols = [relWide ? new Float64Array(n) : new Uint32Array(n), new Uint32Array(n), byteOffsetWide ? new Float64Array(n) : new Uint32Array(n), new Uint32Array(n), new Float64Array(n)] as const;
  for (const c of cols) r.column(c);
  ix.loadColumns(origin, end, relWide, byteOffsetWide, cols);
}

/** Formats 2 and 3: base offsets, record counts, files, byte offsets, byte lengths, timestamps. */
function readSixColumns(r: ByteReader, ix: BatchIndex): void {
  const n = r.uint();
  const cols = [new Float64Array(n), new Uint32Array(n), new Uint32Array(n), new Float64Array(n), new Uint32Array(n), new Float64Array(n)] as const;
  for (const c of cols) r.column(c);
  const [base, count, file, byteOffset, byteLength, maxTimestamp] = cols;
  for (let i = 0; i < n; i++) ix.push(base[i], count[i], file[i], byteOffset[i], byteLength[i], maxTimestamp[i]);
  ix.trim();
}

function checkFileReferences(state: ClusterState, span: number): void {
  const refs = new Uint32Array(span);
  for (const t of state.topics.values()) {
    for (const p of t.partitions) {
      const ix = p.index;
      for (let i = 0; i < ix.length; i++) {
        const file = ix.file(i);
        if (file >= span || !state.files.has(file)) throw new Error(`a batch of ${t.name} refers to missing file ${file}`);
        refs[file]++;
      }
    }
  }
  for (const n of state.files.numbersInUse()) if (refs[n] !== state.files.liveOf(n)) throw new Error(`file ${state.files.idOf(n)} counts ${state.files.liveOf(n)} live batches, ${refs[n]} refer to it`);
}

function readFile(r: ByteReader, state: ClusterState): FileRecord {
  const id = r.str();
  const objectKey = r.str();
  const sizeBytes = r.uint();
  const replicas: Replica[] = [];
  for (let n = r.uint(); n > 0; n--) replicas.push({ region: r.str(), bucket: r.str(), checksum: r.str() });
  const fingerprint = r.str();
  const committedAt = r.uint();
  const results: number[] = new Array(r.uint());
  for (let i = 0; i < results.length; i++) results[i] = r.int();
  const live = r.uint();
  const fileState = r.u8();
  if (fileState !== FILE_LIVE && fileState !== FILE_DELETE_PENDING) throw new Error(`unknown file state ${fileState}`);
  const markedAt = r.uint();
  const markSeq = r.uint();
  if ((fileState === FILE_LIVE) !== (markSeq === 0) || (fileState === FILE_LIVE) !== (live > 0)) throw new Error(`file ${id} has an inconsistent state`);
  return { id, objectKey, sizeBytes, replicas: state.internReplicas(replicas), fingerprint, committedAt, results: packResults(results), live, state: fileState, markedAt, markSeq };
}

function readTopic(r: ByteReader, format: number): Topic {
  const name = r.str();
  const id = r.str();
  const createdAt = r.uint();
  const config = Object.freeze(readConfig(r));
  const partitions: PartitionLog[] = [];
  for (let n = r.uint(); n > 0; n--) {
    const p = new PartitionLog();
    p.logStartOffset = r.uint();
    p.highWatermark = r.uint();
    if (format >= 4) readIndex(r, p.index);
    else readSixColumns(r, p.index);
    if (p.index.length > 0 && p.index.end !== p.highWatermark) throw new Error(`a partition of ${name} ends its index at ${p.index.end}, its high watermark is ${p.highWatermark}`);
    for (let k = r.uint(); k > 0; k--) {
      const producerId = r.uint();
      const win: ProducerWindow = { epoch: r.uint(), lastAt: r.uint(), entries: [] };
      for (let e = r.uint(); e > 0; e--) win.entries.push(r.uint());
      (p.producers ??= new Map()).set(producerId, win);
    }
    p.recomputeDerived();
    partitions.push(p);
  }
  return new Topic(name, id, createdAt, config, partitions);
}
