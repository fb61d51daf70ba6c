import { badRequest } from '../../shared/errors';
import { InapplicableOpError } from './inapplicable';
import type { Op } from './ops';
import type { InitProducerIdInput, InitProducerIdResult } from './types';

/**
 * Kafka's InitProducerId. Producer ids are unique per cluster and never reused: the leader
 * hands them out from a block it reserved through the journal (`allocateProducerIds` raises
 * the ceiling), and a new leader starts above the ceiling, skipping what is left of its
 * predecessor's block. A transactional id keeps its producer id across calls and gets its
 * epoch bumped each time, which fences the previous instance of that producer: its batches
 * are refused with INVALID_PRODUCER_EPOCH. When the epoch is used up, a new producer id
 * starts at epoch 0, as in Kafka.
 */
export const PRODUCER_ID_BLOCK = 1000;
/** Kafka's epochs are int16; the last usable one before a new producer id is needed. */
export const MAX_PRODUCER_EPOCH = 32766;
/** Kafka's transaction.max.timeout.ms default. */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
const MAX_TRANSACTIONAL_ID_BYTES = 1024;
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface TransactionalProducer {
  producerId: number;
  epoch: number;
  /** The id and epoch before the last bump: a retry of that bump gets the current pair back. */
  previousId: number;
  previousEpoch: number;
  /** Last InitProducerId for this transactional id. */
  lastAt: number;
}

export class ProducerIds {
  /** Every id below this was reserved by some leader: none is handed out twice. */
  ceiling = 0;
  readonly transactional = new Map<string, TransactionalProducer>();
  /** Current epoch of each transactional producer id: its older epochs are fenced. */
  readonly epochs = new Map<number, number>();
}

/** Leader memory (not journaled): the next id of the block this leader reserved. */
export interface ProducerIdCursor {
  next: number;
  /** End of this leader's block; -1 before it reserved one. */
  end: number;
}

export const newProducerIdCursor = (): ProducerIdCursor => ({ next: -1, end: -1 });

export function applyAllocate(p: ProducerIds, upTo: number): void {
  if (upTo <= p.ceiling) throw new InapplicableOpError(`producer id block ends at ${upTo}, below the ceiling ${p.ceiling}`);
  p.ceiling = upTo;
}

export function applyInitTransactional(p: ProducerIds, transactionalId: string, producerId: number, epoch: number, at: number): void {
  if (producerId >= p.ceiling) throw new InapplicableOpError(`producer id ${producerId} was never reserved`);
  const known = p.transactional.get(transactionalId);
  if (known && known.producerId !== producerId) p.epochs.delete(known.producerId);
  p.transactional.set(transactionalId, {
    producerId,
    epoch,
    previousId: known?.producerId ?? -1,
    previousEpoch: known?.epoch ?? -1,
    lastAt: at,
  });
  p.epochs.set(producerId, epoch);
}

export function applyExpireTransactional(p: ProducerIds, transactionalId: string): void {
  const known = p.transactional.get(transactionalId);
  if (!known) throw new InapplicableOpError(`no transactional id ${transactionalId}`);
  p.transactional.delete(transactionalId);
  p.epochs.delete(known.producerId);
}

interface ValidInit {
  transactionalId: string | null;
  timeoutOk: boolean;
  expected: { producerId: number; epoch: number } | null;
}

const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

export function validateInitProducerId(input: unknown): ValidInit {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('invalid_request', 'The request must be a JSON object.');
  const { transactionalId, transactionTimeoutMs, producerId, producerEpoch } = input as InitProducerIdInput & Record<string, unknown>;
  let txn: string | null = null;
  if (transactionalId !== undefined && transactionalId !== null) {
    if (typeof transactionalId !== 'string' || transactionalId.length === 0 || Buffer.byteLength(transactionalId) > MAX_TRANSACTIONAL_ID_BYTES || CONTROL.test(transactionalId)) {
      throw badRequest('invalid_transactional_id', `transactionalId is 1 to ${MAX_TRANSACTIONAL_ID_BYTES} bytes without control characters.`, { field: 'transactionalId' });
    }
    txn = transactionalId;
  }
  if (transactionTimeoutMs !== undefined && !isInt(transactionTimeoutMs, 0, 2 ** 31 - 1)) {
    throw badRequest('invalid_transaction_timeout', 'transactionTimeoutMs is a whole number of milliseconds.', { field: 'transactionTimeoutMs' });
  }
  const pid = producerId ?? -1;
  const epoch = producerEpoch ?? -1;
  if (!isInt(pid, -1, Number.MAX_SAFE_INTEGER) || !isInt(epoch, -1, 32767) || (pid === -1) !== (epoch === -1)) {
    throw badRequest('invalid_producer_fields', 'producerId and producerEpoch are given together (the current pair, to bump it), or both left out.', { field: 'producerId' });
  }
  const timeoutOk = txn === null || transactionTimeoutMs === undefined || (transactionTimeoutMs > 0 && transactionTimeoutMs <= MAX_TRANSACTION_TIMEOUT_MS);
  return { transactionalId: txn, timeoutOk, expected: pid >= 0 ? { producerId: pid, epoch } : null };
}

/**
 * Plans one InitProducerId. Without a transactional id every call gets a fresh id at epoch 0
 * (Kafka does the same). With one: unknown gets a fresh id; known gets its epoch bumped,
 * unless the caller names a current pair that is not the current one (PRODUCER_FENCED), or
 * names the pair before the last bump (a retry: the current pair comes back unchanged).
 */
export function planInitProducerId(p: ProducerIds, cursor: ProducerIdCursor, input: ValidInit, now: number): { ops: Op[]; result: InitProducerIdResult } {
  const fail = (error: InitProducerIdResult['error']) => ({ ops: [], result: { producerId: -1, producerEpoch: -1, error } });
  if (!input.timeoutOk) return fail('INVALID_TRANSACTION_TIMEOUT');
  const ops: Op[] = [];
  const freshId = () => {
    // A new leader never uses its predecessor's block: it may have handed out ids from it.
    if (cursor.next < 0 || cursor.next >= cursor.end) {
      cursor.next = p.ceiling;
      cursor.end = p.ceiling + PRODUCER_ID_BLOCK;
      ops.push({ type: 'allocateProducerIds', upTo: cursor.end });
    }
    return cursor.next++;
  };
  if (input.transactionalId === null) return { ops, result: { producerId: freshId(), producerEpoch: 0 } };
  const known = p.transactional.get(input.transactionalId);
  const expected = input.expected;
  let producerId: number;
  let epoch: number;
  if (!known) {
    producerId = freshId();
    epoch = 0;
  } else {
    if (expected && expected.producerId === known.previousId && expected.epoch === known.previousEpoch) {
      return { ops: [], result: { producerId: known.producerId, producerEpoch: known.epoch } };
    }
    if (expected && (expected.producerId !== known.producerId || expected.epoch !== known.epoch)) return fail('PRODUCER_FENCED');
    if (known.epoch >= MAX_PRODUCER_EPOCH) {
      producerId = freshId();
      epoch = 0;
    } else {
      producerId = known.producerId;
      epoch = known.epoch + 1;
    }
  }
  ops.push({ type: 'initTransactional', transactionalId: input.transactionalId, producerId, epoch, at: now });
  return { ops, result: { producerId, producerEpoch: epoch } };
}
