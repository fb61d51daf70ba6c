import { createDynamoClient, Db, tableNames } from '../../shared/dynamo';
import { clusterPk } from '../../shared/keys';
import { clusterStore } from '../../services/clusters/store';
import { journalStore } from '../../services/metadata/journal-store';
import { journalLayout } from '../../services/metadata/journal-stripes';
import { decodeEntry } from '../../services/metadata/ops';

/**
 * Reads a cluster's journal straight from the store (past every region link) to check what
 * leadership changes must never break: entries are contiguous, the epochs of their writers
 * never go down (a deposed leader never appended after its successor's fence), and no file is
 * committed twice.
 */
export async function auditJournal(storeUrl: string, tenantId: string, clusterId: string, tablePrefix = 'hm-') {
  const client = createDynamoClient({ endpoint: storeUrl, region: 'us-east-1' });
  try {
    const db = new Db(client);
    const journal = journalStore(db, tableNames(tablePrefix).metadata);
    // The journal's layout, as every node learns it: the cluster item's stripe count.
    const cluster = await clusterStore(db, tableNames(tablePrefix).control).get(tenantId, clusterId);
    if (!cluster) throw new Error(`cluster ${clusterId} not found for the journal audit`);
    const journalStripes = cluster.journalStripes;
    const problems: string[] = [];
    const files = new Map<string, number>();
    const epochs: number[] = [];
    let entries = 0;
    let prev: { seq: number; epoch: number } | undefined;
    for await (const e of journal.readFrom(journalLayout(clusterPk(tenantId, clusterId), journalStripes), 1)) {
      entries++;
      if (prev && e.seq !== prev.seq + 1) problems.push(`journal gap between ${prev.seq} and ${e.seq}`);
      if (prev && e.epoch < prev.epoch) problems.push(`entry ${e.seq} of epoch ${e.epoch} follows epoch ${prev.epoch}: two leaders appended`);
      if (!prev || e.epoch !== prev.epoch) epochs.push(e.epoch);
      for (const op of decodeEntry(e.data)) if (op.type === 'commitFile') files.set(op.body.fileId, (files.get(op.body.fileId) ?? 0) + 1);
      prev = { seq: e.seq, epoch: e.epoch };
    }
    for (const [fileId, n] of files) if (n > 1) problems.push(`file ${fileId} is committed ${n} times`);
    return { entries, epochs, files, problems };
  } finally {
    client.destroy();
  }
}
