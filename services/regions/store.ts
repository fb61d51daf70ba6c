import type { Db } from '../../shared/dynamo';
import { REGIONS_PK } from '../../shared/keys';

/**
 * The node registry and the region switches, vendor-level items in the control table under one
 * partition (`REGIONS`): a few items per node and region, read in one query.
 *
 *   NODE#<nodeId>     a running node: its region, endpoints, last beat and store health
 *   REGION#<region>   an operator's switch: drained (leadership moves away) or not
 */
export interface NodeRecord {
  nodeId: string;
  region: string;
  /** Where agents reach this node's region (a regional load balancer, or the node itself). */
  endpoint: string;
  /** What other nodes name in a `not_leader` answer. */
  address: string;
  startedAt: number;
  lastSeen: number;
  /** p90 of this node's store round trips over its recent window (ms); 0 without samples. */
  storeLatencyMs: number;
  /** Store round trips within the latency budget. */
  healthy: boolean;
  /** Clusters this node leads. */
  leading: number;
}

export interface RegionRecord {
  region: string;
  drained: boolean;
  updatedAt: number;
  updatedBy: string;
}

export function regionStore(db: Db, table: string) {
  return {
    async putNode(node: NodeRecord, ttlSeconds: number): Promise<void> {
      await db.put(table, { pk: REGIONS_PK, sk: `NODE#${node.nodeId}`, kind: 'node', ...node, ttl: Math.floor(node.lastSeen / 1000) + ttlSeconds });
    },

    async deleteNode(nodeId: string): Promise<void> {
      await db.delete(table, { pk: REGIONS_PK, sk: `NODE#${nodeId}` });
    },

    async putRegion(r: RegionRecord): Promise<void> {
      await db.put(table, { pk: REGIONS_PK, sk: `REGION#${r.region}`, kind: 'region', ...r });
    },

    /** Every node and region item (the partition holds a handful). */
    async all(): Promise<{ nodes: NodeRecord[]; regions: RegionRecord[] }> {
      const nodes: NodeRecord[] = [];
      const regions: RegionRecord[] = [];
      for await (const it of db.queryAll<Record<string, unknown>>({ table, keyCondition: 'pk = :pk', values: { ':pk': REGIONS_PK } })) {
        if (it.kind === 'node') {
          nodes.push({
            nodeId: String(it.nodeId),
            region: String(it.region),
            endpoint: String(it.endpoint),
            address: String(it.address),
            startedAt: Number(it.startedAt),
            lastSeen: Number(it.lastSeen),
            storeLatencyMs: Number(it.storeLatencyMs ?? 0),
            healthy: it.healthy === true,
            leading: Number(it.leading ?? 0),
          });
        } else if (it.kind === 'region') {
          regions.push({ region: String(it.region), drained: it.drained === true, updatedAt: Number(it.updatedAt), updatedBy: String(it.updatedBy) });
        }
      }
      return { nodes, regions };
    },
  };
}
export type RegionStore = ReturnType<typeof regionStore>;
