import { badRequest } from '../../shared/errors';
import type { FileTable } from './file-table';
import { FILE_DELETE_PENDING } from './file-table';
import type { Plan } from './plan';
import type { ClusterState } from './state';
import type { Replica } from './types';

/**
 * Files leave in two steps (file-table.ts): marked when their last batch goes, due after a
 * grace period, removed when the agent that deleted the objects reports it. These are the
 * calls the job orchestration builds on: a bounded, paginated listing of due files, and an
 * idempotent "objects deleted" report. A file some batch still refers to is never due (its
 * live count is above 0, so it is not marked) and a report about it is refused.
 */
export const DEFAULT_FILE_DELETE_GRACE_MS = 5 * 60_000;
export const MAX_DUE_FILES_PAGE = 1000;
export const MAX_FILES_PER_REPORT = 1000;

export interface DueFile {
  fileId: string;
  objectKey: string;
  sizeBytes: number;
  replicas: readonly Replica[];
  markedAt: number;
  dueAt: number;
}

export interface DueFilesPage {
  items: DueFile[];
  /** Pass back as `after` for the next page; null when the listing is complete. */
  nextCursor: string | null;
}

export function listDueFiles(state: ClusterState, now: number, graceMs: number, opts: { limit?: number; after?: string | null } = {}): DueFilesPage {
  const limit = opts.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DUE_FILES_PAGE) {
    throw badRequest('invalid_limit', `limit is a whole number from 1 to ${MAX_DUE_FILES_PAGE}.`, { field: 'limit' });
  }
  let after = 0;
  if (opts.after !== undefined && opts.after !== null) {
    if (!/^\d{1,15}$/.test(opts.after)) throw badRequest('invalid_cursor', 'The cursor is not one this listing gave out.', { field: 'after' });
    after = Number(opts.after);
  }
  const items: DueFile[] = [];
  let last = after;
  let more = false;
  const t = state.files;
  state.files.scanMarked(after, (n) => {
    if (t.markedAtOf(n) + graceMs > now) return true;
    if (items.length === limit) {
      more = true;
      return false;
    }
    items.push(dueFile(t, n, graceMs));
    last = t.markSeqOf(n);
    return true;
  });
  return { items, nextCursor: more ? String(last) : null };
}

const dueFile = (t: FileTable, n: number, graceMs: number): DueFile => ({
  fileId: t.idOf(n)!,
  objectKey: t.objectKeys[n]!,
  sizeBytes: t.sizeOf(n),
  replicas: t.replicaLists[n]!,
  markedAt: t.markedAtOf(n),
  dueAt: t.markedAtOf(n) + graceMs,
});

export type FileDeletedOutcome = 'deleted' | 'already_deleted' | 'FILE_LIVE';

export interface FilesDeletedResult {
  files: { fileId: string; result: FileDeletedOutcome }[];
}

/**
 * The agent deleted these files' objects. A marked file's record goes; an unknown one is
 * taken as already gone (the report is retried, or came twice); a file batches still refer
 * to is refused per file with FILE_LIVE and stays (its deletion was a mistake to report).
 */
export function planFilesDeleted(state: ClusterState, fileIds: unknown): Plan<FilesDeletedResult> {
  if (!Array.isArray(fileIds) || fileIds.length === 0 || fileIds.length > MAX_FILES_PER_REPORT) {
    throw badRequest('invalid_request', `fileIds lists 1 to ${MAX_FILES_PER_REPORT} file ids.`, { field: 'fileIds' });
  }
  const removing = new Set<string>();
  const files = fileIds.map((fileId: unknown, i) => {
    if (typeof fileId !== 'string' || fileId.length === 0 || fileId.length > 128) throw badRequest('invalid_file_id', 'Each file id is a committed fileId.', { field: `fileIds[${i}]` });
    const f = state.files.byId(fileId);
    if (!f || removing.has(fileId)) return { fileId, result: 'already_deleted' as const };
    if (f.state !== FILE_DELETE_PENDING) return { fileId, result: 'FILE_LIVE' as const };
    removing.add(fileId);
    return { fileId, result: 'deleted' as const };
  });
  return { ops: removing.size > 0 ? [{ type: 'filesDeleted', fileIds: [...removing] }] : [], answer: () => ({ files }) };
}

export interface FileCounts {
  live: { count: number; bytes: number };
  /** Marked, still in the grace period. */
  markedForDeletion: { count: number; bytes: number };
  /** Marked and past the grace period: waiting for an agent to delete the objects. */
  due: { count: number; bytes: number };
}

export function fileCounts(state: ClusterState, now: number, graceMs: number): FileCounts {
  const due = { count: 0, bytes: 0 };
  const t = state.files;
  t.scanMarked(0, (n) => {
    if (t.markedAtOf(n) + graceMs <= now) {
      due.count++;
      due.bytes += t.sizeOf(n);
    }
    return true;
  });
  const s = state.files.stats();
  return {
    live: s.live,
    markedForDeletion: { count: s.markedForDeletion.count - due.count, bytes: s.markedForDeletion.bytes - due.bytes },
    due,
  };
}
