import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import { JOURNAL_END_SK, journalSk, seqOfJournalSk } from './keys';

/**
 * Journal entries: one item per sequence number, written once with attribute_not_exists.
 * That condition is the fence: a deposed leader's next append lands on a sequence number its
 * successor has already used, and fails.
 */
export interface JournalEntry {
  seq: number;
  data: Uint8Array;
  /** Epoch of the leader that wrote it. */
  epoch: number;
  /** Unique per append attempt, so a writer can recognise its own entry after a lost reply. */
  writer: string;
  /** The writer's advertised address, for redirecting clients of a deposed leader. */
  leader: string;
}

export function journalStore(db: Db, table: string) {
  /** A cluster's items belong to its tenant: that tenant's view of the store. */
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  const toEntry = (item: Record<string, unknown>): JournalEntry => ({
    seq: seqOfJournalSk(item.sk as string),
    data: item.data as Uint8Array,
    epoch: Number(item.epoch),
    writer: String(item.writer),
    leader: String(item.leader ?? ''),
  });

  return {
    /** True when the entry was written; false when `seq` is already taken. */
    append(pk: string, entry: JournalEntry): Promise<boolean> {
      return at(pk).put(
        table,
        { pk, sk: journalSk(entry.seq), data: entry.data, epoch: entry.epoch, writer: entry.writer, leader: entry.leader },
        { expr: 'attribute_not_exists(sk)' },
      );
    },

    async get(pk: string, seq: number): Promise<JournalEntry | undefined> {
      const item = await at(pk).get(table, { pk, sk: journalSk(seq) });
      return item ? toEntry(item) : undefined;
    },

    /** The sequence number of the last entry (0 for an empty journal). */
    async lastSeq(pk: string): Promise<number> {
      const page = await at(pk).query<{ sk: string }>({
        table,
        keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
        values: { ':pk': pk, ':from': journalSk(0), ':to': JOURNAL_END_SK },
        forward: false,
        limit: 1,
      });
      return page.items[0] ? seqOfJournalSk(page.items[0].sk) : 0;
    },

    /** Entries from `fromSeq` on, in order. */
    async *readFrom(pk: string, fromSeq: number): AsyncGenerator<JournalEntry> {
      const items = at(pk).queryAll({
        table,
        keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
        values: { ':pk': pk, ':from': journalSk(fromSeq), ':to': JOURNAL_END_SK },
      });
      for await (const item of items) yield toEntry(item);
    },

    /** Up to `limit` sequence numbers of entries below `belowSeq`, lowest first (keys only). */
    async seqsBelow(pk: string, belowSeq: number, limit: number): Promise<number[]> {
      if (belowSeq <= 0) return [];
      const page = await at(pk).query<{ sk: string }>({
        table,
        keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
        values: { ':pk': pk, ':from': journalSk(0), ':to': journalSk(belowSeq - 1) },
        projection: 'sk',
        limit,
      });
      return page.items.map((i) => seqOfJournalSk(i.sk));
    },

    /** Deletes entries (journal trimming; see journal-trimmer.ts for when that is safe). */
    async remove(pk: string, seqs: number[]): Promise<void> {
      await at(pk).deleteMany(table, seqs.map((seq) => ({ pk, sk: journalSk(seq) })));
    },
  };
}
export type JournalStore = ReturnType<typeof journalStore>;
