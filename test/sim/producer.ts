import { randomUUID } from 'node:crypto';
import type { ReferenceAgent } from './agent';
import { fakeBatch, type LocalBucket } from './bucket';

export interface ProducedBatch {
  topic: string;
  partition: number;
  baseOffset: number;
  lastOffset: number;
  objectKey: string;
  byteOffset: number;
  byteLength: number;
  head: string;
}

/**
 * What an agent's produce path does: write one file holding batches for several partitions
 * to the bucket, then commit its metadata; the answer gives each batch its offsets.
 */
export async function produceFile(agent: ReferenceAgent, bucket: LocalBucket, parts: { topic: string; partition: number; records: number }[], opts: { fileId?: string; timestamp?: number } = {}) {
  const fileId = opts.fileId ?? randomUUID();
  const objectKey = `segments/${fileId}`;
  const bodies = parts.map((p, i) => fakeBatch(p.topic, p.partition, i));
  const written = bucket.writeFile(objectKey, bodies);
  const body = {
    fileId,
    objectKey,
    sizeBytes: written.sizeBytes,
    replicas: [{ region: bucket.region, bucket: bucket.name, checksum: written.checksum }],
    batches: parts.map((p, i) => ({
      topic: p.topic,
      partition: p.partition,
      ...written.ranges[i],
      recordCount: p.records,
      maxTimestamp: opts.timestamp ?? Date.now(),
    })),
  };
  const out = await agent.commitFile(body);
  const produced: ProducedBatch[] = out.results.map((r: { topic: string; partition: number; baseOffset: number; lastOffset: number }, i: number) => ({
    ...r,
    objectKey,
    ...written.ranges[i],
    head: bodies[i].subarray(0, 32).toString('latin1'),
  }));
  return { body, out, produced };
}
