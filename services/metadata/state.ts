import { BatchIndex } from './batch-index';
import { FileTable, type FileRecord } from './file-table';
import type { GroupRecord } from './group-records';
import { ProducerIds } from './producer-ids';
import type { ProducerWindow } from './producer-window';
import type { BatchError, Replica, TopicConfig } from './types';

export { FILE_DELETE_PENDING, FILE_LIVE, type FileRecord } from './file-table';

/**
 * A cluster's metadata as the sequencer holds it in memory. It changes only through
 * `applyOp` (apply.ts), so the leader and a replaying successor build the same state, and
 * `encodeState` (state-codec.ts) gives it one canonical byte form.
 */

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
    if (this.maxTimestampAt < 0 || maxTimestamp > this.index.maxTimestamp(this.maxTimestampAt)) this.maxTimestampAt = i;
    return base;
  }

  /**
   * Moves the log start offset forward to `offset` (at most the high watermark). Batches
   * wholly below it leave the index, and `release` hears of each one's file; a batch that
   * straddles it stays (a fetch from the log start gets it, as Kafka's does).
   */
  advanceStart(offset: number, release: (file: number) => void): void {
    this.logStartOffset = offset;
    const ix = this.index;
    let k = 0;
    while (k < ix.length && ix.lastOffset(k) < offset) {
      release(ix.file(k));
      this.bytes -= ix.byteLength(k);
      k++;
    }
    if (k === 0) return;
    ix.dropFront(k);
    if (this.maxTimestampAt >= k) this.maxTimestampAt -= k;
    else this.recomputeDerived();
  }

  /** Rebuilds what is derived from the index (after decoding). */
  recomputeDerived(): void {
    const ix = this.index;
    let bytes = 0;
    let at = -1;
    for (let i = 0; i < ix.length; i++) {
      bytes += ix.byteLength(i);
      if (at < 0 || ix.maxTimestamp(i) > ix.maxTimestamp(at)) at = i;
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
  /** Batches refer to files by number. */
  readonly files = new FileTable();
  totalPartitions = 0;
  /** Replicas agents reported missing, by file id (see replication.ts). */
  readonly missingReplicas = new Map<string, string[]>();
  /** Producer id allocation and transactional ids. */
  readonly producers = new ProducerIds();
  /** Consumer groups: committed offsets, and the last generation and assignment. */
  readonly groups = new Map<string, GroupRecord>();
  /** Region and bucket names repeat on every file: keep one copy of each. */
  private readonly interned = new Map<string, string>();

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  fileById(id: string): FileRecord | undefined {
    return this.files.byId(id);
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
