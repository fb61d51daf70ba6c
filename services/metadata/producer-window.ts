/**
 * Idempotent-producer state per partition and producer id, as Kafka keeps it: the producer's
 * epoch and its last five batches (first sequence, record count, base offset). A retried
 * batch that matches one of them is a duplicate and gets its original offsets back; an older
 * epoch is fenced; a gap in sequence numbers is refused. A window nobody wrote to for the
 * cluster's producer-id expiration time is dropped by a maintenance pass (as Kafka does).
 */
export const WINDOW_SIZE = 5;
const SEQUENCE_MODULUS = 2 ** 31;

export interface ProducerWindow {
  epoch: number;
  /** Flattened [firstSequence, recordCount, baseOffset] triples, oldest first. */
  entries: number[];
  /** When the producer last appended here (commit time, not the client's timestamps). */
  lastAt: number;
}

/**
 * The outcome of checking a batch against its producer's window, as one number (this runs for
 * every idempotent batch): APPEND, one of the two errors, or a duplicate's original base
 * offset (>= 0).
 */
export const APPEND = -1;
export const OUT_OF_ORDER = -2;
export const FENCED_EPOCH = -3;

export function checkSequence(window: ProducerWindow | undefined, epoch: number, firstSequence: number, recordCount: number): number {
  // A producer we hold nothing for may start anywhere (its state may have been lost), as in Kafka.
  if (!window) return APPEND;
  if (epoch < window.epoch) return FENCED_EPOCH;
  if (epoch > window.epoch) return firstSequence === 0 ? APPEND : OUT_OF_ORDER;
  const e = window.entries;
  for (let i = 0; i < e.length; i += 3) {
    if (e[i] === firstSequence && e[i + 1] === recordCount) return e[i + 2];
  }
  if (e.length === 0) return APPEND;
  const last = e.length - 3;
  const expected = (e[last] + e[last + 1]) % SEQUENCE_MODULUS;
  return firstSequence === expected ? APPEND : OUT_OF_ORDER;
}

/** Records an appended batch; a new epoch starts a fresh window. */
export function recordAppend(window: ProducerWindow | undefined, epoch: number, firstSequence: number, recordCount: number, baseOffset: number, at: number): ProducerWindow {
  const w = window && window.epoch === epoch ? window : { epoch, entries: [], lastAt: at };
  const e = w.entries;
  w.lastAt = at;
  if (e.length < WINDOW_SIZE * 3) {
    e.push(firstSequence, recordCount, baseOffset);
    return w;
  }
  // Full: the oldest batch leaves, in place (this runs for every idempotent batch).
  for (let i = 3; i < e.length; i++) e[i - 3] = e[i];
  e[e.length - 3] = firstSequence;
  e[e.length - 2] = recordCount;
  e[e.length - 1] = baseOffset;
  return w;
}
