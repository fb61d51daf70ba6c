import { isAppError } from '../../../shared/errors';
import type { CommitFileResult } from '../../../services/metadata/types';

export interface FileAnswer {
  fileId: string;
  status: number;
  duplicate?: boolean;
  results?: CommitFileResult['results'];
  problem?: { code: string; detail: string; [k: string]: unknown };
}

/**
 * A multi-file commit's answer: per file, its result or the 4xx problem it was refused with.
 * Anything else (a 503 not_leader or unavailable, an unexpected failure) fails the whole
 * request: the agent retries it as is, and the files committed meanwhile answer again as
 * duplicates with the same offsets (commits are idempotent on fileId).
 */
export function perFileAnswers(files: { fileId: string }[], settled: PromiseSettledResult<CommitFileResult>[]): { files: FileAnswer[] } {
  const answers: FileAnswer[] = [];
  for (const [i, s] of settled.entries()) {
    if (s.status === 'fulfilled') {
      answers.push({ fileId: s.value.fileId, status: 200, duplicate: s.value.duplicate, results: s.value.results });
      continue;
    }
    const e = s.reason;
    if (!isAppError(e) || e.status >= 500 || e.status === 429) throw e;
    answers.push({ fileId: files[i].fileId, status: e.status, problem: { ...e.extra, code: e.code, detail: e.detail } });
  }
  return { files: answers };
}
