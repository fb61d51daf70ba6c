import assert from 'node:assert/strict';
import { AppError } from '../../shared/errors';
import type { ClusterRef, CommitBatchInput, CommitFileInput } from '../../services/metadata/types';

/** Shared builders for the metadata sequencer tests. */

/** A cluster whose bucket in each region is `bucket-<region>` (what fileOf names). */
export function clusterRef(over: Partial<ClusterRef> = {}): ClusterRef {
  const regions = over.regions ?? ['us-east-1'];
  return {
    tenantId: 'tnt_test',
    clusterId: 'vci_test',
    regions,
    buckets: regions.map((region) => ({ region, url: `bucket-${region}` })),
    writeQuorum: 1,
    autoCreateTopics: false,
    defaultPartitions: 2,
    defaultRetentionMs: 86_400_000,
    defaultRetentionBytes: -1,
    producerIdExpirationMs: 7 * 86_400_000,
    offsetsRetentionMs: 7 * 86_400_000,
    limits: { partitionsPerCluster: 1000, maxRetentionMs: 7 * 86_400_000 },
    // HM_TEST_JOURNAL_STRIPES=4 runs a metadata suite on striped journals (default: one key, as before stripes).
    journalStripes: Number(process.env.HM_TEST_JOURNAL_STRIPES ?? 1),
    ...over,
  };
}

export interface BatchSpec {
  topic: string;
  partition: number;
  recordCount?: number;
  maxTimestamp?: number;
  byteLength?: number;
  producer?: { id: number; epoch: number; seq: number };
}

/** A file whose batches sit back to back in the order given. */
export function fileOf(fileId: string, specs: BatchSpec[], region = 'us-east-1'): CommitFileInput {
  let pos = 0;
  const batches: CommitBatchInput[] = specs.map((s) => {
    const b: CommitBatchInput = {
      topic: s.topic,
      partition: s.partition,
      byteOffset: pos,
      byteLength: s.byteLength ?? 100,
      recordCount: s.recordCount ?? 1,
      maxTimestamp: s.maxTimestamp ?? 1_700_000_000_000,
    };
    if (s.producer) Object.assign(b, { producerId: s.producer.id, producerEpoch: s.producer.epoch, baseSequence: s.producer.seq });
    pos += b.byteLength;
    return b;
  });
  return { fileId, objectKey: `objects/${fileId}`, sizeBytes: Math.max(pos, 1), replicas: [{ region, bucket: `bucket-${region}`, checksum: `sha256-${fileId}` }], batches };
}

/** Asserts that `run` fails with an AppError of this status and code, and returns it. */
export async function rejectsWith(run: Promise<unknown> | (() => unknown), status: number, code: string): Promise<AppError> {
  let error: unknown;
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof AppError, `expected AppError ${status} ${code}, got ${error === undefined ? 'success' : String(error)}`);
  assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.detail}`);
  assert.equal(error.status, status, `expected status ${status} for ${code}`);
  return error;
}
