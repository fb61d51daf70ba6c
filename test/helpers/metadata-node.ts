import { manualClock, type Clock } from '../../shared/clock';
import { metadataService, type MetadataServiceDeps } from '../../services/metadata/service';
import { clusterPk } from '../../shared/keys';
import { journalLayout, stripePks } from '../../services/metadata/journal-stripes';
import type { ClusterRef } from '../../services/metadata/types';
import type { TestDynamo } from './dynamo';
import { faultHooks } from './gate';

/**
 * A metadata service node on a test dynalite, with settings that suit tests, and the test
 * controls its hooks give: `pause`/`resume` (a stalled process) and `stopAbruptly` (a crash).
 */
export function metadataNode(d: TestDynamo, nodeId: string, over: Partial<MetadataServiceDeps> = {}) {
  const faults = faultHooks();
  const service = metadataService({
    db: d.db,
    table: d.tables.metadata,
    clock: over.clock ?? manualClock(1_800_000_000_000),
    nodeId,
    advertisedAddress: `${nodeId}.internal:9443`,
    leaseMs: 5_000,
    renewEveryMs: 1_000,
    snapshotEveryEntries: 10_000,
    snapshotEveryMs: 3_600_000,
    hooks: faults.hooks,
    ...over,
    // Maintenance (retention, expiry, trimming) runs when a test asks for it (runMaintenance).
    log: { maintenanceEveryMs: 3_600_000, ...over.log },
  });
  return Object.assign(service, { pause: faults.pause, resume: faults.resume, stopAbruptly: faults.stopAbruptly });
}
export type TestMetadataNode = ReturnType<typeof metadataNode>;

/** The cluster's journal as stored (every stripe, in sequence order): sequence numbers with the writing leader's epoch. */
export async function journalOf(d: TestDynamo, cluster: ClusterRef): Promise<{ seq: number; epoch: number; data: Uint8Array; pk: string }[]> {
  const out = [];
  for (const pk of stripePks(journalLayout(clusterPk(cluster.tenantId, cluster.clusterId), cluster.journalStripes))) {
    for await (const item of d.db.queryAll<{ sk: string; epoch: number; data: Uint8Array }>({
      table: d.tables.metadata,
      keyCondition: 'pk = :pk AND begins_with(sk, :j)',
      values: { ':pk': pk, ':j': 'J#' },
    })) {
      out.push({ seq: Number(item.sk.slice(2)), epoch: item.epoch, data: item.data, pk });
    }
  }
  return out.sort((x, y) => x.seq - y.seq);
}

export const advance = (clock: Clock, ms: number) => (clock as ReturnType<typeof manualClock>).advance(ms);
