import type { Db, Item, Key } from '../../shared/dynamo';
import { groupCommit, lastPerKey } from '../../shared/group-commit';
import { clusterChildPrefix, tenantPk } from '../../shared/keys';
import type { AgentMember, AgentStats } from './model';

const sk = (clusterId: string, agentId: string) => `${clusterChildPrefix(clusterId)}AGENT#${agentId}`;

/**
 * Durable agent membership: one item per agent id, a child of its cluster. Reads and writes
 * of one tenant's records made while others are in flight go out together (group commit, see
 * shared/group-commit.ts): a registration storm costs a store request per batch.
 */
export function memberStore(db: Db, table: string) {
  const strip = ({ pk: _p, sk: _s, ...rest }: Item) => rest as unknown as AgentMember;
  const reads = groupCommit<Key, Item | undefined>({
    maxBatch: 100,
    maxInFlight: 4,
    flush: async (tenantId, keys) => {
      const found = new Map((await db.forTenant(tenantId).getMany(table, lastPerKey(keys))).map((it) => [`${it.pk}\n${it.sk}`, it]));
      return keys.map((k) => found.get(`${k.pk}\n${k.sk}`));
    },
  });
  const writes = groupCommit<Item>({ maxBatch: 25, maxInFlight: 4, flush: (tenantId, items) => db.forTenant(tenantId).putMany(table, lastPerKey(items)) });
  return {
    async get(tenantId: string, clusterId: string, agentId: string) {
      const it = await reads(tenantId, { pk: tenantPk(tenantId), sk: sk(clusterId, agentId) });
      return it ? strip(it) : undefined;
    },
    /** Durable once it resolves. */
    async put(m: AgentMember) {
      await writes(m.tenantId, { pk: tenantPk(m.tenantId), sk: sk(m.clusterId, m.agentId), ...m });
    },
    /** Sets the state if it differs; returns false when it already was `state` (or the agent is unknown). */
    async setState(tenantId: string, clusterId: string, agentId: string, state: AgentMember['state'], nowIso: string, last?: { heartbeatAt: string; stats: AgentStats }) {
      const out = await db.forTenant(tenantId).update({
        table,
        key: { pk: tenantPk(tenantId), sk: sk(clusterId, agentId) },
        update: `SET #state = :s, updatedAt = :now${last ? ', lastHeartbeatAt = :lh, lastStats = :ls' : ''}`,
        condition: 'attribute_exists(pk) AND #state <> :s',
        names: { '#state': 'state' },
        values: { ':s': state, ':now': nowIso, ...(last ? { ':lh': last.heartbeatAt, ':ls': last.stats } : {}) },
      });
      return out !== undefined;
    },
    async list(tenantId: string, clusterId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': `${clusterChildPrefix(clusterId)}AGENT#` },
        limit,
        startKey,
      });
      return { items: page.items.map(strip), lastKey: page.lastKey };
    },
  };
}
export type MemberStore = ReturnType<typeof memberStore>;
