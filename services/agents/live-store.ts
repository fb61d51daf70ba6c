import type { Redis } from 'ioredis';
import type { AgentStats, RegisterInput } from './model';

/**
 * Liveness in Redis: a hash per agent (expiring) and a sorted set per cluster scored by last
 * heartbeat. Keys of one cluster share the hash tag `{clusterId}`, so the scripts stay valid
 * on a clustered Redis. Heartbeats never touch DynamoDB.
 */
const REGISTER = `
local member = redis.call('ZSCORE', KEYS[2], ARGV[3])
if not member then
  local count = redis.call('ZCOUNT', KEYS[2], ARGV[5], '+inf')
  if count >= tonumber(ARGV[4]) then return {0, ''} end
end
local prev = redis.call('HGET', KEYS[1], 'state') or ''
redis.call('HSET', KEYS[1], 'state', 'live', 'lastSeen', ARGV[1], 'agent', ARGV[6], 'version', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
return {1, prev, redis.call('HGET', KEYS[1], 'version') or ''}
`;

const HEARTBEAT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, ''} end
local prev = redis.call('HGET', KEYS[1], 'state') or ''
if prev == 'deregistered' then return {0, prev} end
redis.call('HSET', KEYS[1], 'state', 'live', 'lastSeen', ARGV[1], 'stats', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[4])
return {1, prev, redis.call('HGET', KEYS[1], 'version') or ''}
`;

// Moves a silent agent from the live set to the cluster's dead set (trimmed to the agents that
// died within the record's lifetime), and answers its last beat and counters.
const MARK_DEAD = `
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return {0} end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], score, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'state', 'dead')
  return {1, score, redis.call('HGET', KEYS[1], 'stats') or ''}
end
return {1, score, ''}
`;

export interface LiveAgent {
  agentId: string;
  lastSeen: number;
  state: string;
  info: RegisterInput;
  stats: AgentStats;
}

type Scripted = Redis & {
  hmRegister(k1: string, k2: string, ...args: (string | number)[]): Promise<[number, string]>;
  hmHeartbeat(k1: string, k2: string, ...args: (string | number)[]): Promise<[number, string, string]>;
  hmMarkDead(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<[number, string?, string?]>;
};

export function liveStore(redis: Redis, prefix: string) {
  const r = redis as Scripted;
  if (!('hmRegister' in r)) {
    redis.defineCommand('hmRegister', { numberOfKeys: 2, lua: REGISTER });
    redis.defineCommand('hmHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
    redis.defineCommand('hmMarkDead', { numberOfKeys: 3, lua: MARK_DEAD });
  }
  const agentKey = (clusterId: string, agentId: string) => `${prefix}:agent:{${clusterId}}:${agentId}`;
  const fleetKey = (clusterId: string) => `${prefix}:fleet:{${clusterId}}`;
  const deadKey = (clusterId: string) => `${prefix}:dead:{${clusterId}}`;
  const clustersKey = `${prefix}:fleet-clusters`;

  /** The liveness records of the given agents (dead ones included, until their record expires). */
  async function records(clusterId: string, agentIds: string[]): Promise<Map<string, LiveAgent>> {
    const out = new Map<string, LiveAgent>();
    if (agentIds.length === 0) return out;
    const pipe = redis.pipeline();
    for (const id of agentIds) pipe.hmget(agentKey(clusterId, id), 'agent', 'lastSeen', 'state', 'stats');
    const rows = (await pipe.exec()) ?? [];
    rows.forEach(([err, v], i) => {
      const [agent, lastSeen, state, stats] = (v ?? []) as (string | null)[];
      if (err || !agent || !lastSeen) return;
      out.set(agentIds[i], { agentId: agentIds[i], lastSeen: Number(lastSeen), state: state ?? 'live', info: JSON.parse(agent), stats: stats ? JSON.parse(stats) : {} });
    });
    return out;
  }

  return {
    /** Adds or refreshes an agent; 'full' when the cluster already has `limit` live agents. */
    async register(tenantId: string, clusterId: string, info: RegisterInput, now: number, ttlSeconds: number, limit: number, liveSince: number) {
      const [ok, prev] = await r.hmRegister(agentKey(clusterId, info.agentId), fleetKey(clusterId), now, ttlSeconds, info.agentId, limit, liveSince, JSON.stringify(info), info.version);
      if (ok === 0) return { result: 'full' as const };
      await redis.sadd(clustersKey, `${tenantId}/${clusterId}`);
      return { result: 'ok' as const, previousState: prev };
    },
    /** 'unknown' when the agent is not registered (or its record expired): it must register. */
    async heartbeat(clusterId: string, agentId: string, stats: AgentStats, now: number, ttlSeconds: number) {
      const [ok, prev, version] = await r.hmHeartbeat(agentKey(clusterId, agentId), fleetKey(clusterId), now, ttlSeconds, JSON.stringify(stats), agentId);
      return ok === 0 ? { result: 'unknown' as const } : { result: 'ok' as const, previousState: prev, version };
    },
    async deregister(clusterId: string, agentId: string, ttlSeconds: number) {
      const key = agentKey(clusterId, agentId);
      await redis.multi().zrem(fleetKey(clusterId), agentId).hset(key, 'state', 'deregistered').expire(key, ttlSeconds).exec();
    },
    /** Agents heard from since `since` (ms), with what they registered and last reported. */
    async live(clusterId: string, since: number): Promise<LiveAgent[]> {
      const ids = await redis.zrangebyscore(fleetKey(clusterId), since, '+inf');
      return [...(await records(clusterId, ids)).values()];
    },
    /** Agents whose last heartbeat is older than `before` (ms). */
    async silentSince(clusterId: string, before: number): Promise<string[]> {
      return redis.zrangebyscore(fleetKey(clusterId), '-inf', `(${before}`);
    },
    /**
     * Moves the agent from the live set to the dead set if it is still silent; when this call
     * did it, answers the agent's last beat and counters (to keep with its membership).
     * `keepDeadSince` trims the dead set to agents whose last beat is at least that recent.
     */
    async markDead(clusterId: string, agentId: string, before: number, keepDeadSince: number): Promise<{ lastSeen: number; stats: AgentStats } | undefined> {
      const [ok, score, stats] = await r.hmMarkDead(agentKey(clusterId, agentId), fleetKey(clusterId), deadKey(clusterId), agentId, before, keepDeadSince);
      if (ok !== 1) return undefined;
      return { lastSeen: Number(score), stats: stats ? JSON.parse(stats) : {} };
    },
    /**
     * Agents the sweep marked dead that are still dead (not revived, deregistered or expired);
     * entries that no longer are leave the dead set on the way.
     */
    async dead(clusterId: string, since: number): Promise<LiveAgent[]> {
      const ids = await redis.zrangebyscore(deadKey(clusterId), since, '+inf');
      if (ids.length === 0) return [];
      const rows = await records(clusterId, ids);
      const stale = ids.filter((id) => rows.get(id)?.state !== 'dead');
      if (stale.length > 0) await redis.zrem(deadKey(clusterId), ...stale);
      return [...rows.values()].filter((a) => a.state === 'dead');
    },
    records,
    async clusters(): Promise<{ tenantId: string; clusterId: string }[]> {
      return (await redis.smembers(clustersKey)).map((s) => {
        const [tenantId, clusterId] = s.split('/');
        return { tenantId, clusterId };
      });
    },
    async forgetCluster(tenantId: string, clusterId: string) {
      const ids = [...(await redis.zrange(fleetKey(clusterId), 0, -1)), ...(await redis.zrange(deadKey(clusterId), 0, -1))];
      const pipe = redis.pipeline().srem(clustersKey, `${tenantId}/${clusterId}`).del(fleetKey(clusterId)).del(deadKey(clusterId));
      for (const id of ids) pipe.del(agentKey(clusterId, id));
      await pipe.exec();
    },
  };
}
export type LiveStore = ReturnType<typeof liveStore>;
