/**
 * Keys of a cluster's items in the metadata table. Everything of one cluster shares the
 * partition key `T#<tenant>#C#<cluster>`; sort keys are zero-padded so they sort by number.
 *
 *   LEASE                 who leads the cluster (holder, holderAddress, epoch, expiresAt); written
 *                         at provisioning with the home's header; a tombstone once the cluster
 *                         is deleted (retiredAt, retireEpoch, finalExpiresAt, fencedSeq, purgedAt, ttl)
 *   J#<seq:12>            journal entry `seq` (1, 2, ...)
 *   SNAP                  pointer to the latest complete snapshot
 *   S#<seq:12>#<chunk:6>  snapshot chunks of the state after entry `seq`
 *   STATS                 file counts by state, as the leader last counted them
 *
 * A striped journal (a cluster created with journalStripes N > 1; see journal-stripes.ts) keeps
 * its entries under N partition keys of their own instead, `T#<tenant>#C#<cluster>#J<stripe>`
 * with stripe = seq mod N, each holding `J#<seq:12>` items as above. Everything else stays
 * under the cluster's key. A 1-stripe journal (every cluster created before stripes existed)
 * is exactly the layout above.
 */
export { clusterPk } from '../../shared/keys';

export const LEASE_SK = 'LEASE';
export const SNAPSHOT_POINTER_SK = 'SNAP';
export const STATS_SK = 'STATS';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const journalSk = (seq: number) => `J#${pad(seq, 12)}`;
export const JOURNAL_END_SK = `J#${'9'.repeat(12)}`;
export const seqOfJournalSk = (sk: string) => Number(sk.slice(2));

export const snapshotChunkSk = (seq: number, chunk: number) => `S#${pad(seq, 12)}#${pad(chunk, 6)}`;

/** The partition key of stripe `stripe` of a striped journal (see journal-stripes.ts). */
export const stripePk = (pk: string, stripe: number) => `${pk}#J${stripe}`;
