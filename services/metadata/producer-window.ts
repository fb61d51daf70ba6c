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

export type ProducerCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; code: 'OUT_OF_ORDER_SEQUENCE' | 'INVALID_PRODUCER_EPOCH' };

const APPEND: ProducerCheck = { kind: 'append' };

export function checkSequence(window: ProducerWindow | undefined, epoch: number, firstSequence: number, recordCount: number): ProducerCheck {
  // A producer we hold nothing for may start anywhere (its state may have been lost), as in Kafka.
  if (!window) return APPEND;
  if (epoch < window.epoch) return { kind: 'error', code: 'INVALID_PRODUCER_EPOCH' };
  if (epoch > window.epoch) return firstSequence === 0 ? APPEND : { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE' };
  const e = window.entries;
  for (let i = 0; i < e.length; i += 3) {
    if (e[i] === firstSequence && e[i + 1] === recordCount) return { kind: 'duplicate', baseOffset: e[i + 2] };
  }
  if (e.length === 0) return APPEND;
  const last = e.length - 3;
  const expected = (e[last] + e[last + 1]) % SEQUENCE_MODULUS;
  return firstSequence === expected ? APPEND : { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE' };
}

/** Records an appended batch; a new epoch starts a fresh window. */
export function recordAppend(window: ProducerWindow | undefined, epoch: number, firstSequence: number, recordCount: number, baseOffset: number, at: number): ProducerWindow {
  const w = window && window.epoch === epoch ? window : { epoch, entries: [], lastAt: at };
  w.entries.push(firstSequence, recordCount, baseOffset);
  w.lastAt = at;
  if (w.entries.length > WINDOW_SIZE * 3) w.entries.splice(0, 3);
  return w;
}
