import { FILE_DELETE_PENDING, FILE_LIVE, type ClusterState } from './state';
import type { Replica } from './types';

/**
 * Reads the job planners and the job results need from a cluster's state: compaction runs,
 * which object keys the metadata knows (orphan scans), and whether a planned job's work is
 * still wanted (a heartbeat answers `cancelled` when not).
 */
export interface CompactionSettings {
  /** Files below this size are small. */
  smallFileBytes: number;
  /** A run is worth compacting when its batches live in at least this many small files. */
  minFiles: number;
  /** Bounds of one job. */
  maxBatches: number;
  maxBytes: number;
}

export const DEFAULT_COMPACTION: CompactionSettings = { smallFileBytes: 4 * 1024 * 1024, minFiles: 4, maxBatches: 2000, maxBytes: 64 * 1024 * 1024 };

export interface CompactionInput {
  baseOffset: number;
  lastOffset: number;
  fileId: string;
  objectKey: string;
  byteOffset: number;
  byteLength: number;
}

export interface CompactionCandidate {
  topic: string;
  topicId: string;
  partition: number;
  /** The input files and where each can be read. */
  files: { fileId: string; objectKey: string; replicas: Replica[] }[];
  batches: CompactionInput[];
  bytes: number;
}

/**
 * Per partition, the first run of adjacent batches whose files are all small and live, when it
 * spans at least `minFiles` files; at most `limit` runs, each bounded by batches and bytes.
 */
export function compactionCandidates(state: ClusterState, s: CompactionSettings, limit: number, skip: (topicId: string, partition: number) => boolean = () => false): CompactionCandidate[] {
  const out: CompactionCandidate[] = [];
  for (const topic of state.topics.values()) {
    for (let p = 0; p < topic.partitions.length; p++) {
      if (out.length >= limit) return out;
      if (skip(topic.id, p)) continue;
      const ix = topic.partitions[p].index;
      let start = 0;
      while (start < ix.length) {
        // Skip batches of large files.
        while (start < ix.length && state.files.sizeOf(ix.file(start)) >= s.smallFileBytes) start++;
        let end = start;
        let bytes = 0;
        const files = new Set<number>();
        while (end < ix.length && end - start < s.maxBatches && bytes + ix.byteLength(end) <= s.maxBytes) {
          if (state.files.sizeOf(ix.file(end)) >= s.smallFileBytes) break;
          files.add(ix.file(end));
          bytes += ix.byteLength(end);
          end++;
        }
        if (files.size >= s.minFiles) {
          const batches: CompactionInput[] = [];
          for (let i = start; i < end; i++) {
            const f = ix.file(i);
            batches.push({ baseOffset: ix.baseOffset(i), lastOffset: ix.lastOffset(i), fileId: state.files.idOf(f)!, objectKey: state.files.objectKeys[f]!, byteOffset: ix.byteOffset(i), byteLength: ix.byteLength(i) });
          }
          const fileList = [...files].map((n) => state.files.view(n)!).map((f) => ({ fileId: f.id, objectKey: f.objectKey, replicas: f.replicas.map((r) => ({ ...r })) }));
          out.push({ topic: topic.name, topicId: topic.id, partition: p, files: fileList, batches, bytes });
          break;
        }
        start = end > start ? end : start + 1;
      }
    }
  }
  return out;
}

/** The keys among `keys` that no file record (live or marked) names. */
export function unknownObjectKeys(state: ClusterState, keys: string[]): string[] {
  const known = new Set<string>();
  for (const key of state.files.objectKeys) if (key !== undefined) known.add(key);
  return keys.filter((k) => !known.has(k));
}

export type JobNeed =
  | { type: 'delete-files'; fileIds: string[] }
  | { type: 'compaction'; topic: string; partition: number; batches: { baseOffset: number; fileId: string; byteOffset: number }[] }
  | { type: 'replicate'; fileId: string; region: string };

/** Whether a job's work still matters: its files still due, its inputs still in place, its replica still missing. */
export function stillNeeded(state: ClusterState, need: JobNeed): boolean {
  switch (need.type) {
    case 'delete-files':
      return need.fileIds.some((id) => state.files.byId(id)?.state === FILE_DELETE_PENDING);
    case 'compaction': {
      const ix = state.partition(need.topic, need.partition)?.index;
      if (!ix) return false;
      const first = ix.find(need.batches[0]?.baseOffset ?? -1);
      if (first < 0) return false;
      return need.batches.every((b, k) => {
        const i = first + k;
        return i < ix.length && ix.baseOffset(i) === b.baseOffset && state.files.idOf(ix.file(i)) === b.fileId && ix.byteOffset(i) === b.byteOffset;
      });
    }
    case 'replicate': {
      const f = state.files.byId(need.fileId);
      return f?.state === FILE_LIVE && (state.missingReplicas.get(need.fileId) ?? []).includes(need.region);
    }
  }
}

/** Files per partition and the heap the file table holds (the compaction benchmark's measure). */
export function fileFootprint(state: ClusterState) {
  return { files: state.files.size, liveFiles: state.files.liveCount, partitions: state.totalPartitions };
}
