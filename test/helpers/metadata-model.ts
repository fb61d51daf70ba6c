import type { ClusterRef, CommitBatchResult, CommitFileInput, FetchPlanInput, ListOffsetsInput } from '../../services/metadata/types';

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
}
interface MWindow {
  epoch: number;
  recent: { seq: number; count: number; base: number }[];
}
interface MPartition {
  batches: MBatch[];
  producers: Map<number, MWindow>;
}
interface MFile {
  body: string;
  results: CommitBatchResult[];
  live: number;
}

const fail = (status: number, error: string) => ({ error, status });

export class ReferenceModel {
  readonly topics = new Map<string, MPartition[]>();
  readonly files = new Map<string, MFile>();
  private readonly config: Record<string, unknown>;

  constructor(private readonly cluster: ClusterRef) {
    this.config = { 'retention.ms': cluster.defaultRetentionMs, 'retention.bytes': -1, 'cleanup.policy': 'delete' };
  }

  private totalPartitions(): number {
    let n = 0;
    for (const p of this.topics.values()) n += p.length;
    return n;
  }

  private collides(name: string, others: Iterable<string>): boolean {
    const key = name.replaceAll('.', '_');
    for (const o of others) if (o !== name && o.replaceAll('.', '_') === key) return true;
    return false;
  }

  private hwm(p: MPartition): number {
    const last = p.batches[p.batches.length - 1];
    return last ? last.base + last.count : 0;
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  listTopics() {
    return this.topicNames().map((name) => ({ name, partitions: this.topics.get(name)!.length, config: this.config }));
  }

  describeTopic(name: string) {
    const parts = this.topics.get(name)!;
    return {
      name,
      partitions: parts.length,
      config: this.config,
      partitionDetails: parts.map((p, partition) => ({
        partition,
        logStartOffset: 0,
        highWatermark: this.hwm(p),
        bytes: p.batches.reduce((n, b) => n + b.len, 0),
      })),
    };
  }

  private newPartitions(n: number): MPartition[] {
    return Array.from({ length: n }, () => ({ batches: [], producers: new Map() }));
  }

  createTopic(name: string, partitions: number) {
    if (partitions < 1) return fail(400, 'invalid_partitions');
    if (this.topics.has(name)) return fail(409, 'topic_exists');
    if (this.collides(name, this.topics.keys())) return fail(409, 'topic_name_collision');
    if (this.totalPartitions() + partitions > this.cluster.limits.partitionsPerCluster) return fail(422, 'partition_limit_exceeded');
    this.topics.set(name, this.newPartitions(partitions));
    return { ok: this.describeTopic(name) };
  }

  grow(name: string, partitions: number) {
    const parts = this.topics.get(name);
    if (!parts) return fail(404, 'unknown_topic');
    if (partitions < 1) return fail(400, 'invalid_partitions');
    if (partitions < parts.length) return fail(422, 'partition_count_not_increased');
    if (this.totalPartitions() + partitions - parts.length > this.cluster.limits.partitionsPerCluster) return fail(422, 'partition_limit_exceeded');
    parts.push(...this.newPartitions(partitions - parts.length));
    return { ok: this.describeTopic(name) };
  }

  deleteTopic(name: string) {
    const parts = this.topics.get(name);
    if (!parts) return fail(404, 'unknown_topic');
    const summary = { name, partitions: parts.length, config: this.config };
    for (const p of parts) for (const b of p.batches) this.files.get(b.fileId)!.live--;
    this.topics.delete(name);
    return { ok: summary };
  }

  commit(file: CommitFileInput) {
    const body = JSON.stringify(file);
    const known = this.files.get(file.fileId);
    if (known) return known.body === body ? { ok: { fileId: file.fileId, duplicate: true, results: known.results } } : fail(409, 'file_id_conflict');
    if (this.cluster.autoCreateTopics) {
      for (const b of file.batches) {
        if (this.topics.has(b.topic)) continue;
        if (this.totalPartitions() + this.cluster.defaultPartitions > this.cluster.limits.partitionsPerCluster) continue;
        if (this.collides(b.topic, this.topics.keys())) continue;
        this.topics.set(b.topic, this.newPartitions(this.cluster.defaultPartitions));
      }
    }
    let live = 0;
    const results: CommitBatchResult[] = file.batches.map((b) => {
      const p = this.topics.get(b.topic)?.[b.partition];
      const { topic, partition } = b;
      if (!p) return { topic, partition, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
      if (b.producerId !== undefined) {
        const w = p.producers.get(b.producerId);
        const epoch = b.producerEpoch!;
        const seq = b.baseSequence!;
        if (w && epoch < w.epoch) return { topic, partition, error: 'INVALID_PRODUCER_EPOCH' };
        if (w && epoch > w.epoch && seq !== 0) return { topic, partition, error: 'OUT_OF_ORDER_SEQUENCE' };
        if (w && epoch === w.epoch) {
          const dup = w.recent.find((r) => r.seq === seq && r.count === b.recordCount);
          if (dup) return { topic, partition, baseOffset: dup.base, lastOffset: dup.base + b.recordCount - 1, duplicate: true };
          const last = w.recent[w.recent.length - 1];
          if (seq !== (last.seq + last.count) % 2 ** 31) return { topic, partition, error: 'OUT_OF_ORDER_SEQUENCE' };
        }
      }
      const base = this.hwm(p);
      p.batches.push({ base, count: b.recordCount, fileId: file.fileId, objectKey: file.objectKey, replicas: file.replicas, pos: b.byteOffset, len: b.byteLength, ts: b.maxTimestamp });
      live++;
      if (b.producerId !== undefined) {
        let w = p.producers.get(b.producerId);
        if (!w || w.epoch !== b.producerEpoch) p.producers.set(b.producerId, (w = { epoch: b.producerEpoch!, recent: [] }));
        w.recent.push({ seq: b.baseSequence!, count: b.recordCount, base });
        if (w.recent.length > 5) w.recent.shift();
      }
      return { topic, partition, baseOffset: base, lastOffset: base + b.recordCount - 1, duplicate: false };
    });
    this.files.set(file.fileId, { body, results, live });
    return { ok: { fileId: file.fileId, duplicate: false, results } };
  }

  fetchPlan(input: FetchPlanInput) {
    let remaining = input.maxBytes;
    let first = true;
    return {
      partitions: input.partitions.map((req) => {
        const { topic, partition } = req;
        const p = this.topics.get(topic)?.[partition];
        if (!p) return { topic, partition, highWatermark: -1, logStartOffset: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION', batches: [] };
        const highWatermark = this.hwm(p);
        if (req.offset > highWatermark) return { topic, partition, highWatermark, logStartOffset: 0, error: 'OFFSET_OUT_OF_RANGE', batches: [] };
        const batches = [];
        let used = 0;
        for (const b of p.batches.filter((x) => x.base + x.count - 1 >= req.offset)) {
          const mustTakeOne = first && batches.length === 0;
          if (used + b.len > Math.min(req.maxBytes, remaining) && !mustTakeOne) break;
          batches.push({
            fileId: b.fileId,
            objectKey: b.objectKey,
            replicas: b.replicas,
            byteOffset: b.pos,
            byteLength: b.len,
            baseOffset: b.base,
            lastOffset: b.base + b.count - 1,
            maxTimestamp: b.ts,
          });
          used += b.len;
        }
        if (batches.length > 0) first = false;
        remaining = Math.max(0, remaining - used);
        return { topic, partition, highWatermark, logStartOffset: 0, batches };
      }),
    };
  }

  listOffsets(input: ListOffsetsInput) {
    return {
      partitions: input.partitions.map(({ topic, partition, timestamp }) => {
        const p = this.topics.get(topic)?.[partition];
        if (!p) return { topic, partition, offset: -1, timestamp: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
        if (timestamp === -1) return { topic, partition, offset: this.hwm(p), timestamp: -1 };
        if (timestamp === -2) return { topic, partition, offset: 0, timestamp: -1 };
        let found: MBatch | undefined;
        if (timestamp === -3) {
          const max = Math.max(-1, ...p.batches.map((b) => b.ts));
          found = max >= 0 ? p.batches.find((b) => b.ts === max) : undefined;
        } else {
          found = p.batches.find((b) => b.ts >= timestamp);
        }
        return found ? { topic, partition, offset: found.base, timestamp: found.ts } : { topic, partition, offset: -1, timestamp: -1 };
      }),
    };
  }
}
