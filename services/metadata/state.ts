import { BatchIndex } from './batch-index';
import type { ProducerWindow } from './producer-window';
import type { BatchError, Replica, TopicConfig } from './types';

/**
 * A cluster's metadata as the sequencer holds it in memory. It changes only through
 * `applyOp` (apply.ts), so the leader and a replaying successor build the same state, and
 * `encodeState` (state-codec.ts) gives it one canonical byte form.
 */

export const FILE_LIVE = 0;
/** The file's last live batch is gone; a later job deletes the object. */
export const FILE_DELETE_PENDING = 1;

export interface FileRecord {
  readonly id: string;
  readonly objectKey: string;
  readonly sizeBytes: number;
  readonly replicas: readonly Replica[];
  /** Hash of the committed body: a retry must match it. */
  readonly fingerprint: string;
  readonly committedAt: number;
  /** Per request batch, in request order: see encodeResult. */
  readonly results: number[];
  live: number;
  state: typeof FILE_LIVE | typeof FILE_DELETE_PENDING;
  /** When the file was marked for deletion; 0 while live. */
  markedAt: number;
}

/**
 * A commit's per-batch outcome packed into one number: an appended batch's base offset
 * (>= 0), a producer duplicate's original base offset (<= -4), or a small negative error code.
 */
const ERROR_CODES: Record<BatchError, number> = {
  UNKNOWN_TOPIC_OR_PARTITION: -1,
  OUT_OF_ORDER_SEQUENCE: -2,
  INVALID_PRODUCER_EPOCH: -3,
};
const ERRORS_BY_CODE = new Map<number, BatchError>(Object.entries(ERROR_CODES).map(([k, v]) => [v, k as BatchError]));
const DUPLICATE_BASE = -4;

export const encodeAppended = (baseOffset: number) => baseOffset;
export const encodeDuplicate = (baseOffset: number) => DUPLICATE_BASE - baseOffset;
export const encodeError = (code: BatchError) => ERROR_CODES[code];

export type DecodedResult = { baseOffset: number; duplicate: boolean } | { error: BatchError };

export function decodeResult(r: number): DecodedResult {
  if (r >= 0) return { baseOffset: r, duplicate: false };
  if (r <= DUPLICATE_BASE) return { baseOffset: DUPLICATE_BASE - r, duplicate: true };
  return { error: ERRORS_BY_CODE.get(r)! };
}

export class PartitionLog {
  logStartOffset = 0;
  highWatermark = 0;
  /** Bytes of live batches. */
  bytes = 0;
  readonly index = new BatchIndex();
  /** Position of the first batch holding the largest maxTimestamp; -1 when empty. */
  maxTimestampAt = -1;
  /** Idempotent producers by producer id; created on first use. */
  producers: Map<number, ProducerWindow> | undefined;

  append(recordCount: number, file: number, byteOffset: number, byteLength: number, maxTimestamp: number): number {
    const base = this.highWatermark;
    const i = this.index.push(base, recordCount, file, byteOffset, byteLength, maxTimestamp);
    this.highWatermark = base + recordCount;
    this.bytes += byteLength;
    if (this.maxTimestampAt < 0 || maxTimestamp > this.index.maxTimestamp[this.maxTimestampAt]) this.maxTimestampAt = i;
    return base;
  }

  /** Rebuilds what is derived from the index (after decoding). */
  recomputeDerived(): void {
    const ix = this.index;
    let bytes = 0;
    let at = -1;
    for (let i = 0; i < ix.length; i++) {
      bytes += ix.byteLength[i];
      if (at < 0 || ix.maxTimestamp[i] > ix.maxTimestamp[at]) at = i;
    }
    this.bytes = bytes;
    this.maxTimestampAt = at;
  }
}

export class Topic {
  constructor(
    readonly name: string,
    readonly id: string,
    readonly createdAt: number,
    public config: Readonly<TopicConfig>,
    readonly partitions: PartitionLog[],
  ) {}
}

export class ClusterState {
  readonly topics = new Map<string, Topic>();
  /** By file number; batches refer to files by this number. */
  readonly files: FileRecord[] = [];
  readonly fileNumbers = new Map<string, number>();
  totalPartitions = 0;
  /** Replicas agents reported missing, by file number of live files (see replication.ts). */
  readonly missingReplicas = new Map<number, string[]>();
  /** Region and bucket names repeat on every file: keep one copy of each. */
  private readonly interned = new Map<string, string>();

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  fileById(id: string): FileRecord | undefined {
    const n = this.fileNumbers.get(id);
    return n === undefined ? undefined : this.files[n];
  }

  intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    this.interned.set(s, s);
    return s;
  }

  internReplicas(replicas: readonly Replica[]): readonly Replica[] {
    return Object.freeze(
      replicas.map((r) => Object.freeze({ region: this.intern(r.region), bucket: this.intern(r.bucket), checksum: r.checksum })),
    );
  }
}
