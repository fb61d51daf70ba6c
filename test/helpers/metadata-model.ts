import type { ClusterRef, CommitBatchResult, CommitFileInput, FetchPlanInput, ListOffsetsInput } from '../../services/metadata/types';
import { GroupModel } from './metadata-model-groups';

/**
 * A deliberately naive reference for the metadata state machine: plain arrays of batch
 * objects, linear scans, Kafka's rules written out the obvious way. Write answers come back
 * as `{ ok: answer }` or `{ error: code, status }`, like the test's wrapper around the core.
 */
interface MBatch {
  base: number;
  count: number;
  fileId: string;
  objectKey: string;
  replicas: CommitFileInput['replicas'];
  pos: number;
  len: number;
  ts: number;
  committedAt: number;
}
interface MWindow {
  epoch: number;
  recent: { seq: number; count: number; base: number }[];
  lastAt: number;
}
export interface MPartition {
  batches: MBatch[];
  start: number;
  hwm: number;
  producers: Map<number, MWindow>;
}
interface MTopic {
  partitions: MPartition[];
  config: { 'retention.ms': number; 'retention.bytes': number; 'cleanup.policy': 'delete' };
}
interface MFile {
  body: string;
  results: CommitBatchResult[];
  live: number;
  size: number;
  markedAt: number;
  markSeq: number;
}

const fail = (status: number, error: string) => ({ error, status });
export const BLOCK = 1000;

export class ReferenceModel {
  readonly topics = new Map<string, MTopic>();
  readonly files = new Map<string, MFile>();
  readonly groups: GroupModel;
  private markSeq = 1;
  /** Producer ids: every id below the ceiling is taken; this leader hands out next..end. */
  private ceiling = 0;
  private next = -1;
  private end = -1;
  readonly transactional = new Map<string, { id: number; epoch: number; prevId: number; prevEpoch: number; lastAt: number }>();

  constructor(private readonly cluster: ClusterRef) {
    this.groups = new GroupModel(this);
  }

  private totalPartitions(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.partitions.length;
    return n;
  }

  private collides(name: string, others: Iterable<string>): boolean {
    const key = name.replaceAll('.', '_');
    for (const o of others) if (o !== name && o.replaceAll('.', '_') === key) return true;
    return false;
  }

  partition(topic: string, partition: number): MPartition | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  listTopics() {
    return this.topicNames().map((name) => ({ name, partitions: this.topics.get(name)!.partitions.length, config: this.topics.get(name)!.config }));
  }

  describeTopic(name: string) {
    const t = this.topics.get(name)!;
    return {
      name,
      partitions: t.partitions.length,
      config: t.config,
      partitionDetails: t.partitions.map((p, partition) => ({ partition, logStartOffset: p.start, highWatermark: p.hwm, bytes: p.batches.reduce((n, b) => n + b.len, 0) })),
    };
  }

  private newPartitions(n: number): MPartition[] {
    return Array.from({ length: n }, () => ({ batches: [], start: 0, hwm: 0, producers: new Map() }));
  }

  private defaults() {
    return { 'retention.ms': this.cluster.defaultRetentionMs, 'retention.bytes': this.cluster.defaultRetentionBytes, 'cleanup.policy': 'delete' as const };
  }

  createTopic(name: string, partitions: number) {
    if (partitions < 1) return fail(400, 'invalid_partitions');
    if (this.topics.has(name)) return fail(409, 'topic_exists');
    if (this.collides(name, this.topics.keys())) return fail(409, 'topic_name_collision');
    if (this.totalPartitions() + partitions > this.cluster.limits.partitionsPerCluster) return fail(422, 'partition_limit_exceeded');
    this.topics.set(name, { partitions: this.newPartitions(partitions), config: this.defaults() });
    return { ok: this.describeTopic(name) };
  }

  grow(name: string, partitions: number) {
    const t = this.topics.get(name);
    if (!t) return fail(404, 'unknown_topic');
    if (partitions < 1) return fail(400, 'invalid_partitions');
    if (partitions < t.partitions.length) return fail(422, 'partition_count_not_increased');
    if (this.totalPartitions() + partitions - t.partitions.length > this.cluster.limits.partitionsPerCluster) return fail(422, 'partition_limit_exceeded');
    t.partitions.push(...this.newPartitions(partitions - t.partitions.length));
    return { ok: this.describeTopic(name) };
  }

  alterRetention(name: string, retentionMs: number, retentionBytes: number) {
    const t = this.topics.get(name);
    if (!t) return fail(404, 'unknown_topic');
    t.config = { ...t.config, 'retention.ms': retentionMs, 'retention.bytes': retentionBytes };
    return { ok: this.describeTopic(name) };
  }

  private release(fileId: string, at: number) {
    const f = this.files.get(fileId)!;
    f.live--;
    if (f.live === 0) Object.assign(f, { markedAt: at, markSeq: this.markSeq++ });
  }

  deleteTopic(name: string, at: number) {
    const t = this.topics.get(name);
    if (!t) return fail(404, 'unknown_topic');
    const summary = { name, partitions: t.partitions.length, config: t.config };
    for (const p of t.partitions) for (const b of p.batches) this.release(b.fileId, at);
    this.topics.delete(name);
    this.groups.dropTopic(name);
    return { ok: summary };
  }

  commit(file: CommitFileInput, at: number) {
    const body = JSON.stringify(file);
    const known = this.files.get(file.fileId);
    if (known) return known.body === body ? { ok: { fileId: file.fileId, duplicate: true, results: known.results } } : fail(409, 'file_id_conflict');
    if (this.cluster.autoCreateTopics) {
      for (const b of file.batches) {
        if (this.topics.has(b.topic)) continue;
        if (this.totalPartitions() + this.cluster.defaultPartitions > this.cluster.limits.partitionsPerCluster) continue;
        if (this.collides(b.topic, this.topics.keys())) continue;
        this.topics.set(b.topic, { partitions: this.newPartitions(this.cluster.defaultPartitions), config: this.defaults() });
      }
    }
    let live = 0;
    const results: CommitBatchResult[] = file.batches.map((b) => {
      const p = this.partition(b.topic, b.partition);
      const { topic, partition } = b;
      if (!p) return { topic, partition, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
      if (b.producerId !== undefined) {
        const w = p.producers.get(b.producerId);
        const epoch = b.producerEpoch!;
        const seq = b.baseSequence!;
        const fenced = [...this.transactional.values()].find((t) => t.id === b.producerId);
        if (fenced && epoch < fenced.epoch) return { topic, partition, error: 'INVALID_PRODUCER_EPOCH' };
        if (w && epoch < w.epoch) return { topic, partition, error: 'INVALID_PRODUCER_EPOCH' };
        if (w && epoch > w.epoch && seq !== 0) return { topic, partition, error: 'OUT_OF_ORDER_SEQUENCE' };
        if (w && epoch === w.epoch) {
          const dup = w.recent.find((r) => r.seq === seq && r.count === b.recordCount);
          if (dup) return { topic, partition, baseOffset: dup.base, lastOffset: dup.base + b.recordCount - 1, duplicate: true };
          const last = w.recent[w.recent.length - 1];
          if (seq !== (last.seq + last.count) % 2 ** 31) return { topic, partition, error: 'OUT_OF_ORDER_SEQUENCE' };
        }
      }
      const base = p.hwm;
      p.batches.push({ base, count: b.recordCount, fileId: file.fileId, objectKey: file.objectKey, replicas: file.replicas, pos: b.byteOffset, len: b.byteLength, ts: b.maxTimestamp, committedAt: at });
      p.hwm += b.recordCount;
      live++;
      if (b.producerId !== undefined) {
        let w = p.producers.get(b.producerId);
        if (!w || w.epoch !== b.producerEpoch) p.producers.set(b.producerId, (w = { epoch: b.producerEpoch!, recent: [], lastAt: at }));
        w.recent.push({ seq: b.baseSequence!, count: b.recordCount, base });
        w.lastAt = at;
        if (w.recent.length > 5) w.recent.shift();
      }
      return { topic, partition, baseOffset: base, lastOffset: base + b.recordCount - 1, duplicate: false };
    });
    const size = file.sizeBytes;
    this.files.set(file.fileId, live > 0 ? { body, results, live, size, markedAt: 0, markSeq: 0 } : { body, results, live, size, markedAt: at, markSeq: this.markSeq++ });
    return { ok: { fileId: file.fileId, duplicate: false, results } };
  }

  /** A leader change: whatever was left of the producer id block is skipped. */
  failover() {
    this.next = this.end = -1;
  }

  private freshId() {
    if (this.next < 0 || this.next >= this.end) {
      this.next = this.ceiling;
      this.end = this.ceiling = this.ceiling + BLOCK;
    }
    return this.next++;
  }

  initProducerId(txn: string | undefined, expected: [number, number] | undefined, at: number) {
    if (txn === undefined) return { ok: { producerId: this.freshId(), producerEpoch: 0 } };
    const t = this.transactional.get(txn);
    if (t && expected && expected[0] === t.prevId && expected[1] === t.prevEpoch) return { ok: { producerId: t.id, producerEpoch: t.epoch } };
    if (t && expected && (expected[0] !== t.id || expected[1] !== t.epoch)) return { ok: { producerId: -1, producerEpoch: -1, error: 'PRODUCER_FENCED' } };
    const next = t ? { id: t.id, epoch: t.epoch + 1, prevId: t.id, prevEpoch: t.epoch, lastAt: at } : { id: this.freshId(), epoch: 0, prevId: -1, prevEpoch: -1, lastAt: at };
    this.transactional.set(txn, next);
    return { ok: { producerId: next.id, producerEpoch: next.epoch } };
  }

  private advance(p: MPartition, start: number, at: number) {
    p.start = start;
    for (const b of p.batches.filter((x) => x.base + x.count - 1 < start)) this.release(b.fileId, at);
    p.batches = p.batches.filter((x) => x.base + x.count - 1 >= start);
  }

  deleteRecords(parts: { topic: string; partition: number; offset: number }[], at: number) {
    return {
      ok: {
        partitions: parts.map(({ topic, partition, offset }) => {
          const p = this.partition(topic, partition);
          if (!p) return { topic, partition, lowWatermark: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
          const target = offset === -1 ? p.hwm : offset;
          if (target > p.hwm) return { topic, partition, lowWatermark: -1, error: 'OFFSET_OUT_OF_RANGE' };
          if (target > p.start) this.advance(p, target, at);
          return { topic, partition, lowWatermark: p.start };
        }),
      },
    };
  }

  /** Retention, producer and group expiry, all at once (the real one runs in steps). */
  maintain(now: number) {
    for (const t of this.topics.values()) {
      const { 'retention.ms': ms, 'retention.bytes': bytes } = t.config;
      for (const p of t.partitions) {
        let keep = 0;
        let size = p.batches.reduce((n, b) => n + b.len, 0);
        for (const b of p.batches) {
          const old = ms >= 0 && (b.ts >= 0 ? b.ts : b.committedAt) < now - ms;
          const big = bytes >= 0 && size - b.len >= bytes;
          if (!old && !big) break;
          size -= b.len;
          keep++;
        }
        if (keep > 0) this.advance(p, keep < p.batches.length ? p.batches[keep].base : p.hwm, now);
        for (const [id, w] of p.producers) if (w.lastAt <= now - this.cluster.producerIdExpirationMs) p.producers.delete(id);
      }
    }
    for (const [id, t] of this.transactional) if (t.lastAt <= now - this.cluster.producerIdExpirationMs) this.transactional.delete(id);
    this.groups.expire(now - this.cluster.offsetsRetentionMs);
  }

  /** Marked files past the grace period, in the order they were marked. */
  dueFiles(now: number, graceMs: number): string[] {
    return [...this.files.entries()]
      .filter(([, f]) => f.live === 0 && f.markedAt + graceMs <= now)
      .sort((a, b) => a[1].markSeq - b[1].markSeq)
      .map(([id]) => id);
  }

  filesDeleted(ids: string[]) {
    const gone = new Set<string>();
    return {
      ok: {
        files: ids.map((fileId) => {
          const f = this.files.get(fileId);
          if (!f || gone.has(fileId)) return { fileId, result: 'already_deleted' };
          if (f.live > 0) return { fileId, result: 'FILE_LIVE' };
          gone.add(fileId);
          this.files.delete(fileId);
          return { fileId, result: 'deleted' };
        }),
      },
    };
  }

  fetchPlan(input: FetchPlanInput) {
    let remaining = input.maxBytes;
    let first = true;
    return {
      partitions: input.partitions.map((req) => {
        const { topic, partition } = req;
        const p = this.partition(topic, partition);
        if (!p) return { topic, partition, highWatermark: -1, logStartOffset: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION', batches: [] };
        const { hwm: highWatermark, start: logStartOffset } = p;
        if (req.offset > highWatermark || req.offset < logStartOffset) return { topic, partition, highWatermark, logStartOffset, error: 'OFFSET_OUT_OF_RANGE', batches: [] };
        const batches = [];
        let used = 0;
        for (const b of p.batches.filter((x) => x.base + x.count - 1 >= req.offset)) {
          const mustTakeOne = first && batches.length === 0;
          if (used + b.len > Math.min(req.maxBytes, remaining) && !mustTakeOne) break;
          batches.push({ fileId: b.fileId, objectKey: b.objectKey, replicas: b.replicas, byteOffset: b.pos, byteLength: b.len, baseOffset: b.base, lastOffset: b.base + b.count - 1, maxTimestamp: b.ts });
          used += b.len;
        }
        if (batches.length > 0) first = false;
        remaining = Math.max(0, remaining - used);
        return { topic, partition, highWatermark, logStartOffset, batches };
      }),
    };
  }

  listOffsets(input: ListOffsetsInput) {
    return {
      partitions: input.partitions.map(({ topic, partition, timestamp }) => {
        const p = this.partition(topic, partition);
        if (!p) return { topic, partition, offset: -1, timestamp: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
        if (timestamp === -1) return { topic, partition, offset: p.hwm, timestamp: -1 };
        if (timestamp === -2) return { topic, partition, offset: p.start, timestamp: -1 };
        let found: MBatch | undefined;
        if (timestamp === -3) {
          const max = Math.max(-1, ...p.batches.map((b) => b.ts));
          found = max >= 0 ? p.batches.find((b) => b.ts === max) : undefined;
        } else {
          found = p.batches.find((b) => b.ts >= timestamp);
        }
        return found ? { topic, partition, offset: Math.max(p.start, found.base), timestamp: found.ts } : { topic, partition, offset: -1, timestamp: -1 };
      }),
    };
  }
}
