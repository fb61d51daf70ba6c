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
