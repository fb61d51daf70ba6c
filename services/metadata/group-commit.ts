import { isAppError } from '../../shared/errors';
import type { ClusterCore, WriteRequest } from './core';

/** A write waiting for its answer. */
export interface Pending {
  req: WriteRequest;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  answer?: unknown;
}

/** Encoded operations of some requests, appended as one journal entry. */
export interface FormedEntry {
  parts: Uint8Array[];
  size: number;
  /** Answered once the entry is durable; a request that wrote nothing rides along. */
  pendings: Pending[];
}

/**
 * Plans and applies each request of a group in order, packing the encoded operations into
 * entries of at most `room` bytes (a request's operations never straddle two entries).
 * Refused requests (AppErrors) are rejected on the spot and change nothing. Any other error
 * ends the packing at that request: the state may be half-changed, and the caller must drop it.
 */
export function formEntries(core: ClusterCore, group: Pending[], now: number, room: number): { entries: FormedEntry[]; fault?: { at: number; error: unknown } } {
  const entries: FormedEntry[] = [];
  let current: FormedEntry = { parts: [], size: 0, pendings: [] };
  for (let i = 0; i < group.length; i++) {
    const p = group[i];
    let done;
    try {
      done = core.execute(p.req, now);
    } catch (e) {
      if (isAppError(e)) {
        p.reject(e);
        continue;
      }
      if (current.pendings.length > 0) entries.push(current);
      return { entries, fault: { at: i, error: e } };
    }
    p.answer = done.answer;
    if (done.bytes) {
      if (current.parts.length > 0 && current.size + done.bytes.length > room) {
        entries.push(current);
        current = { parts: [], size: 0, pendings: [] };
      }
      current.parts.push(done.bytes);
      current.size += done.bytes.length;
    }
    current.pendings.push(p);
  }
  if (current.pendings.length > 0) entries.push(current);
  return { entries };
}
