import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import { slotPk, stripePks, type JournalLayout } from './journal-stripes';
import { JOURNAL_END_SK, journalSk, seqOfJournalSk } from './keys';

/**
 * Journal entries: one item per sequence number, written once with attribute_not_exists.
 * That condition is the fence: a deposed leader's next append lands on a sequence number its
 * successor has already used, and fails. A striped journal (journal-stripes.ts) puts slot
 * `seq` under stripe seq mod N; the item, and so the fence, is the same.
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
  /** A cluster's items belong to its tenant: that tenant's view of the store (stripe keys begin with the cluster's key). */
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  const toEntry = (item: Record<string, unknown>): JournalEntry => ({
    seq: seqOfJournalSk(item.sk as string),
    data: item.data as Uint8Array,
    epoch: Number(item.epoch),
    writer: String(item.writer),
    leader: String(item.leader ?? ''),
  });
  const between = (pk: string, from: number) => ({
    table,
    keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
    values: { ':pk': pk, ':from': journalSk(from), ':to': JOURNAL_END_SK },
  });

  async function get(j: JournalLayout, seq: number): Promise<JournalEntry | undefined> {
    const pk = slotPk(j, seq);
    const item = await at(pk).get(table, { pk, sk: journalSk(seq) });
    return item ? toEntry(item) : undefined;
  }

  /** The last sequence number under one key (0 when it holds none). */
  async function lastUnder(pk: string): Promise<number> {
    const page = await at(pk).query<{ sk: string }>({ ...between(pk, 0), forward: false, limit: 1 });
    return page.items[0] ? seqOfJournalSk(page.items[0].sk) : 0;
  }

  return {
    /** True when the entry was written; false when `seq` is already taken. */
    append(j: JournalLayout, entry: JournalEntry): Promise<boolean> {
      const pk = slotPk(j, entry.seq);
      return at(pk).put(
        table,
        { pk, sk: journalSk(entry.seq), data: entry.data, epoch: entry.epoch, writer: entry.writer, leader: entry.leader },
        { expr: 'attribute_not_exists(sk)' },
      );
    },

    get,

    /** The sequence number of the last entry (0 for an empty journal): the highest over every stripe. */
    async lastSeq(j: JournalLayout): Promise<number> {
      const lasts = await Promise.all(stripePks(j).map(lastUnder));
      return Math.max(0, ...lasts);
    },

    /**
     * Entries from `fromSeq` on, in sequence order: one paged query per stripe, merged. A
     * striped read can race an append the single-key query would have ordered: stripe A read
     * before slot s landed, stripe B after s + 1 did. Slots fill in order (a leader appends
     * s + 1 only once s is durable), so a missing slot below one that was seen is read again,
     * consistently; only if it is still empty is it a real gap, yielded as such (the caller
     * decides, as replayTail does).
     */
    async *readFrom(j: JournalLayout, fromSeq: number): AsyncGenerator<JournalEntry> {
      if (j.stripes === 1) {
        for await (const item of at(j.pk).queryAll(between(j.pk, fromSeq))) yield toEntry(item);
        return;
      }
      const streams = stripePks(j).map((pk) => at(pk).queryAll(between(pk, fromSeq))[Symbol.asyncIterator]());
      const heads = await Promise.all(streams.map(async (s) => (await s.next()).value as Record<string, unknown> | undefined));
      let expected = fromSeq;
      try {
        for (;;) {
          let k = -1;
          for (let i = 0; i < heads.length; i++) {
            if (heads[i] && (k === -1 || seqOfJournalSk(heads[i]!.sk as string) < seqOfJournalSk(heads[k]!.sk as string))) k = i;
          }
          if (k === -1) return;
          const head = toEntry(heads[k]!);
          if (head.seq > expected) {
            const late = await get(j, expected);
            if (late) {
              yield late;
              expected++;
              continue;
            }
          }
          yield head;
          expected = head.seq + 1;
          heads[k] = (await streams[k].next()).value as Record<string, unknown> | undefined;
        }
      } finally {
        await Promise.all(streams.map((s) => s.return?.(undefined)));
      }
    },

    /** Up to `limit` sequence numbers of entries below `belowSeq`, lowest first (keys only; per stripe a share of `limit`). */
    async seqsBelow(j: JournalLayout, belowSeq: number, limit: number): Promise<number[]> {
      if (belowSeq <= 0) return [];
      const per = Math.max(1, Math.ceil(limit / j.stripes));
      const pages = await Promise.all(
        stripePks(j).map((pk) =>
          at(pk).query<{ sk: string }>({
            table,
            keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
            values: { ':pk': pk, ':from': journalSk(0), ':to': journalSk(belowSeq - 1) },
            projection: 'sk',
            limit: per,
          }),
        ),
      );
      return pages.flatMap((p) => p.items.map((i) => seqOfJournalSk(i.sk))).sort((a, b) => a - b);
    },

    /** Deletes entries (journal trimming; see journal-trimmer.ts for when that is safe). */
    async remove(j: JournalLayout, seqs: number[]): Promise<void> {
      const byKey = new Map<string, { pk: string; sk: string }[]>();
      for (const seq of seqs) {
        const pk = slotPk(j, seq);
        let keys = byKey.get(pk);
        if (!keys) byKey.set(pk, (keys = []));
        keys.push({ pk, sk: journalSk(seq) });
      }
      for (const [pk, keys] of byKey) await at(pk).deleteMany(table, keys);
    },

    /** Deletes every entry of the journal, stripe by stripe (the cluster's purge; bounded pages). */
    async purge(j: JournalLayout): Promise<number> {
      let n = 0;
      for (const pk of stripePks(j)) {
        const keys: { pk: string; sk: string }[] = [];
        for await (const it of at(pk).queryAll<{ pk: string; sk: string }>({ ...between(pk, 0), projection: 'pk, sk' })) keys.push({ pk: it.pk, sk: it.sk });
        await at(pk).deleteMany(table, keys);
        n += keys.length;
      }
      return n;
    },
  };
}
export type JournalStore = ReturnType<typeof journalStore>;
