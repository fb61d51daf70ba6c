import type { ReferenceAgent } from './agent';
import type { RegionBuckets } from './region-buckets';
import type { AckedBatch } from './region-producer';
import { decodeBatch, digest } from './records';

/**
 * The consumer's side of the region-outage bench: reads every partition back through fetch
 * plans, each batch from the first listed replica that can still be read, and checks the
 * Jepsen-style invariants: every acknowledged batch is where its acknowledgement said, byte for
 * byte; offsets per partition are unique and contiguous; no record (producer, sequence) is in
 * the log twice; every record carries the run's canary. Replicas it cannot read are reported
 * to the control plane (`replica-missing`), as a real consumer would.
 */
export interface Verdict {
  acknowledgedRecords: number;
  lostRecords: number;
  duplicateRecords: number;
  /** Everything wrong, in words (empty when the run is clean). */
  violations: string[];
  batchesRead: number;
  replicasReported: number;
}

interface Planned {
  fileId: string;
  objectKey: string;
  replicas: { region: string; bucket: string }[];
  byteOffset: number;
  byteLength: number;
  baseOffset: number;
  lastOffset: number;
}

export async function verifyLog(o: {
  agent: ReferenceAgent;
  buckets: RegionBuckets;
  canary: string;
  topic: string;
  partitions: number;
  acked: AckedBatch[];
  /** Also look for every listed replica (not just the first readable) and report those gone. */
  auditReplicas?: boolean;
}): Promise<Verdict> {
  const violations: string[] = [];
  const seen = new Map<string, number>();
  const reported = new Set<string>();
  let batchesRead = 0;
  const byPartition: Map<number, Planned>[] = [];
  const bytesOf = new Map<Planned, Buffer>();

  for (let p = 0; p < o.partitions; p++) {
    const planned = new Map<number, Planned>();
    byPartition.push(planned);
    let next = 0;
    let highWatermark = Infinity;
    let first = true;
    while (next < highWatermark) {
      const plan = await o.agent.fetchPlan({ partitions: [{ topic: o.topic, partition: p, offset: next, maxBytes: 1 << 20 }], maxBytes: 1 << 20 });
      const part = plan.partitions[0];
      if (part.error) {
        violations.push(`partition ${p}: fetch plan error ${part.error} at offset ${next}`);
        break;
      }
      highWatermark = part.highWatermark;
      if (first) {
        next = part.logStartOffset;
        first = false;
        if (next >= highWatermark) break;
      }
      if (part.batches.length === 0) {
        violations.push(`partition ${p}: no batch at offset ${next} below the high watermark ${highWatermark}`);
        break;
      }
      for (const b of part.batches as Planned[]) {
        if (b.baseOffset !== next) violations.push(`partition ${p}: batch at ${b.baseOffset} where ${next} was next (offsets must be contiguous and unique)`);
        if (b.lastOffset < b.baseOffset) violations.push(`partition ${p}: batch ${b.baseOffset}..${b.lastOffset} runs backwards`);
        planned.set(b.baseOffset, b);
        next = Math.max(next, b.lastOffset + 1);
        const read = await o.buckets.read(b.replicas, b.objectKey, b.byteOffset, b.byteLength);
        batchesRead++;
        const gone = o.auditReplicas ? await o.buckets.missing(b.replicas, b.objectKey) : read.unreadable;
        for (const r of gone) {
          const key = `${b.fileId}@${r.region}`;
          if (reported.has(key)) continue;
          reported.add(key);
          await o.agent.reportReplicaMissing(b.fileId, { region: r.region, bucket: r.bucket, reason: 'not_found' });
        }
        if (!read.bytes) {
          violations.push(`partition ${p}: batch ${b.baseOffset} (file ${b.fileId}) cannot be read from any replica`);
          continue;
        }
        bytesOf.set(b, read.bytes);
        const records = decodeBatch(o.canary, read.bytes);
        if ('error' in records) {
          violations.push(`partition ${p}: batch ${b.baseOffset}: ${records.error}`);
          continue;
        }
        if (records.length !== b.lastOffset - b.baseOffset + 1) violations.push(`partition ${p}: batch ${b.baseOffset} holds ${records.length} records for ${b.lastOffset - b.baseOffset + 1} offsets`);
        for (const r of records) {
          const id = `${r.producer}#${r.seq}`;
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
      }
    }
  }

  let acknowledgedRecords = 0;
  let lostRecords = 0;
  for (const a of o.acked) {
    acknowledgedRecords += a.count;
    const b = byPartition[a.partition]?.get(a.baseOffset);
    const bytes = b && bytesOf.get(b);
    const problem = !b
      ? 'is missing from the log'
      : b.lastOffset !== a.lastOffset || b.fileId !== a.fileId || b.byteOffset !== a.byteOffset || b.byteLength !== a.byteLength
        ? `moved (now ${b.fileId} ${b.baseOffset}..${b.lastOffset})`
        : !bytes
          ? 'cannot be read'
          : digest(bytes) !== a.digest
            ? 'reads back different bytes'
            : undefined;
    if (problem) {
      lostRecords += a.count;
      if (violations.length < 50) violations.push(`acknowledged batch ${a.partition}@${a.baseOffset}..${a.lastOffset} of ${a.fileId} ${problem}`);
    }
  }
  let duplicateRecords = 0;
  for (const n of seen.values()) duplicateRecords += n - 1;
  if (duplicateRecords > 0) violations.push(`${duplicateRecords} records are in the log more than once`);
  return { acknowledgedRecords, lostRecords, duplicateRecords, violations, batchesRead, replicasReported: reported.size };
}
