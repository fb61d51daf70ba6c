import { isoTime } from '../../shared/clock';
import { notFound, unprocessable } from '../../shared/errors';
import { InapplicableOpError } from './inapplicable';
import type { ByteReader, ByteWriter } from './bytes';
import type { Op } from './ops';
import type { Plan } from './plan';
import { FILE_LIVE, type ClusterState } from './state';
import type { FileRecord } from './file-table';
import type { ClusterRef } from './types';

/**
 * Replicas that agents found missing. A file written to every region's bucket and committed
 * once a quorum held it can lose a copy with a region (or an operator's mistake); a reader that
 * cannot find a listed replica reports it, the report goes through the journal like any write,
 * and the file is due for re-replication (agents get that work from the jobs queue). Only live
 * files count; a file's reports go with its record (files-deleted), and reports of files no
 * longer live are answered, not kept.
 */
export interface ReplicaMissingInput {
  region: string;
  bucket: string;
  reason?: 'not_found' | 'checksum_mismatch' | 'unreadable';
}

export interface ReplicaMissingResult {
  fileId: string;
  missingRegions: string[];
  /** Listed replicas not reported missing. */
  remainingReplicas: number;
}

export type ReplicaMissingOp = { type: 'replicaMissing'; fileId: string; region: string; at: number };
/** A re-replication job copied the file back into the region: the report is settled. */
export type ReplicaRestoredOp = { type: 'replicaRestored'; fileId: string; region: string; at: number };

export interface ReplicaRestoredInput {
  fileId: string;
  region: string;
  bucket: string;
  checksum: string;
}

export interface ReplicaRestoredResult {
  fileId: string;
  /** `restored`; `not_needed` when the file is gone, no longer live, or the region was not missing. */
  outcome: 'restored' | 'not_needed';
  missingRegions: string[];
}

/**
 * An agent restored a missing replica. It must be the replica the file lists (same bucket, same
 * checksum: a copy of the same bytes); a file that left meanwhile needs nothing.
 */
export function planReplicaRestored(state: ClusterState, input: ReplicaRestoredInput, now: number): Plan<ReplicaRestoredResult> {
  const file = state.files.byId(input.fileId);
  const answer = (outcome: ReplicaRestoredResult['outcome']) => () => ({ fileId: input.fileId, outcome, missingRegions: [...(state.missingReplicas.get(input.fileId) ?? [])] });
  if (!file || file.state !== FILE_LIVE) return { ops: [], answer: answer('not_needed') };
  const replica = file.replicas.find((r) => r.region === input.region);
  if (!replica) throw unprocessable('replica_not_listed', `File ${input.fileId} has no replica in ${input.region}.`);
  if (replica.bucket !== input.bucket) throw unprocessable('unknown_replica_bucket', `File ${input.fileId}'s replica in ${input.region} is in bucket ${replica.bucket}, not ${input.bucket}.`);
  if (replica.checksum !== input.checksum) throw unprocessable('checksum_mismatch', `The restored copy's checksum differs from the file's (${replica.checksum}).`);
  if (!(state.missingReplicas.get(input.fileId) ?? []).includes(input.region)) return { ops: [], answer: answer('not_needed') };
  return { ops: [{ type: 'replicaRestored', fileId: input.fileId, region: input.region, at: now }], answer: answer('restored') };
}

export function applyReplicaRestored(state: ClusterState, op: ReplicaRestoredOp): void {
  const known = state.missingReplicas.get(op.fileId);
  if (!known?.includes(op.region)) throw new InapplicableOpError(`replica of ${op.fileId} in ${op.region} is not reported missing`);
  const rest = known.filter((r) => r !== op.region);
  if (rest.length === 0) state.missingReplicas.delete(op.fileId);
  else state.missingReplicas.set(op.fileId, rest);
}

export const writeReplicaRestored = (w: ByteWriter, op: ReplicaRestoredOp) => writeReplicaMissing(w, op as unknown as ReplicaMissingOp);
export function readReplicaRestored(r: ByteReader): ReplicaRestoredOp {
  return { type: 'replicaRestored', fileId: r.str(), region: r.str(), at: r.uint() };
}

export function planReplicaMissing(state: ClusterState, cluster: ClusterRef, fileId: string, input: ReplicaMissingInput, now: number): Plan<ReplicaMissingResult> {
  if (!cluster.regions.includes(input.region)) {
    throw unprocessable('unknown_replica_region', `Region ${input.region} is not one of this cluster's regions.`, { regions: cluster.regions });
  }
  const file = state.files.byId(fileId);
  if (!file) throw notFound('file_not_found', `File ${fileId} is not committed in this cluster.`);
  const replica = file.replicas.find((r) => r.region === input.region);
  if (!replica) throw unprocessable('replica_not_listed', `File ${fileId} has no replica in ${input.region}.`, { regions: file.replicas.map((r) => r.region) });
  if (replica.bucket !== input.bucket) {
    throw unprocessable('unknown_replica_bucket', `File ${fileId}'s replica in ${input.region} is in bucket ${replica.bucket}, not ${input.bucket}.`);
  }
  const known = state.missingReplicas.get(fileId) ?? [];
  const answer = () => {
    // Read after the group applied (the view above is a copy as of planning).
    const missing = state.files.byId(fileId)?.state === FILE_LIVE ? (state.missingReplicas.get(fileId) ?? []) : [];
    return { fileId, missingRegions: [...missing], remainingReplicas: file.replicas.length - missing.length };
  };
  // A repeated report, or one about a file no longer live, changes nothing.
  if (known.includes(input.region) || file.state !== FILE_LIVE) return { ops: [], answer };
  return { ops: [{ type: 'replicaMissing', fileId, region: input.region, at: now }], answer };
}

export function applyReplicaMissing(state: ClusterState, op: ReplicaMissingOp): void {
  if (!state.files.byId(op.fileId)) throw new InapplicableOpError(`replica report for unknown file ${op.fileId}`);
  const known = state.missingReplicas.get(op.fileId) ?? [];
  if (!known.includes(op.region)) state.missingReplicas.set(op.fileId, [...known, op.region].sort());
}

/** Live files with replicas reported missing, by file id (a file no longer live needs none). */
function* reported(state: ClusterState): Generator<[FileRecord, string[]]> {
  for (const [id, regions] of state.missingReplicas) {
    const f = state.files.byId(id);
    if (f?.state === FILE_LIVE) yield [f, regions];
  }
}

export function writeReplicaMissing(w: ByteWriter, op: ReplicaMissingOp): void {
  w.str(op.fileId);
  w.str(op.region);
  w.uint(op.at);
}

export function readReplicaMissing(r: ByteReader): ReplicaMissingOp {
  return { type: 'replicaMissing', fileId: r.str(), region: r.str(), at: r.uint() };
}

/** The state's section of missing replicas, by file id (sorted, so the encoding is canonical). */
export function writeMissingSection(w: ByteWriter, state: ClusterState): void {
  const ids = [...state.missingReplicas.keys()].sort();
  w.uint(ids.length);
  for (const id of ids) {
    const regions = state.missingReplicas.get(id)!;
    w.str(id);
    w.uint(regions.length);
    for (const region of regions) w.str(region);
  }
}

export function readMissingSection(r: ByteReader, state: ClusterState): void {
  for (let n = r.uint(); n > 0; n--) {
    const id = r.str();
    if (!state.files.byId(id)) throw new Error(`missing-replica section names file ${id}, which the state does not hold`);
    const regions: string[] = [];
    for (let k = r.uint(); k > 0; k--) regions.push(state.intern(r.str()));
    state.missingReplicas.set(id, regions);
  }
}

export interface ReplicationSummary {
  /** Live files with at least one replica reported missing. */
  filesMissingReplicas: number;
  /** Per region: how many of those files miss their copy there. */
  missingByRegion: Record<string, number>;
}

export function replicationSummary(state: ClusterState): ReplicationSummary {
  const missingByRegion: Record<string, number> = {};
  let files = 0;
  for (const [, regions] of reported(state)) {
    files++;
    for (const r of regions) missingByRegion[r] = (missingByRegion[r] ?? 0) + 1;
  }
  return { filesMissingReplicas: files, missingByRegion };
}

/** Files due for re-replication, oldest commit first, with the replicas that remain. */
export function underReplicatedFiles(state: ClusterState, limit: number) {
  const due = [...reported(state)].sort(([a], [b]) => a.committedAt - b.committedAt || (a.id < b.id ? -1 : 1)).slice(0, limit);
  const out = [];
  for (const [f, missing] of due) {
    out.push({
      fileId: f.id,
      objectKey: f.objectKey,
      sizeBytes: f.sizeBytes,
      committedAt: isoTime(f.committedAt),
      missingRegions: [...missing],
      replicas: f.replicas.filter((r) => !missing.includes(r.region)).map((r) => ({ ...r })),
    });
  }
  return out;
}

export const isReplicaMissingOp = (op: Op): op is ReplicaMissingOp => op.type === 'replicaMissing';
