/**
 * Where a cluster's journal entries live. One partition key takes about 1,000 write units a
 * second on DynamoDB, so a journal under one key caps a cluster near 1 MB/s of entries. A
 * striped journal spreads its slots over N keys (slot `seq` lives under stripe seq mod N);
 * each slot is still one item written once with one conditional put, so the fence is the same
 * as with one key: a deposed leader's append lands on the very item its successor filled.
 *
 * The stripe count is fixed when the cluster is created (the cluster item's `journalStripes`,
 * absent = 1) and never changes: every node must map a slot to the same key, or two leaders
 * could each "win" the same sequence number under different keys. A 1-stripe journal keeps
 * its entries under the cluster's own key, exactly as before stripes existed.
 */
import { MAX_JOURNAL_STRIPES, MIN_JOURNAL_STRIPES } from '../clusters/journal-stripes';
import { stripePk } from './keys';

export interface JournalLayout {
  /** The cluster's partition key (`T#<tenant>#C#<cluster>`): lease, snapshots, stats. */
  pk: string;
  /** Partition keys the journal is spread over (1: the cluster's own key). */
  stripes: number;
}

export function journalLayout(pk: string, stripes: number | undefined): JournalLayout {
  const n = stripes ?? 1;
  if (!Number.isInteger(n) || n < MIN_JOURNAL_STRIPES || n > MAX_JOURNAL_STRIPES) throw new Error(`invalid journal stripe count ${stripes} for ${pk}`);
  return { pk, stripes: n };
}

/** The partition key that holds journal slot `seq`. */
export const slotPk = (j: JournalLayout, seq: number) => (j.stripes === 1 ? j.pk : stripePk(j.pk, seq % j.stripes));

/** Every partition key of the journal, stripe 0 first. */
export const stripePks = (j: JournalLayout): string[] => (j.stripes === 1 ? [j.pk] : Array.from({ length: j.stripes }, (_, k) => stripePk(j.pk, k)));
