import { LRUCache } from 'lru-cache';
import { isAppError } from './errors';
import { groupCommit } from './group-commit';
import type { RedisClient, RedisGuard } from './redis';

/** A budget: `burst` requests at once, refilled at one every `emissionMs` (a token bucket). */
export interface Budget {
  name: string;
  emissionMs: number;
  burst: number;
}

export const perMinute = (name: string, n: number): Budget => ({ name, emissionMs: 60_000 / n, burst: n });
export const perSecond = (name: string, n: number): Budget => ({ name, emissionMs: 1000 / n, burst: n });

/**
 * GCRA (the generic cell rate algorithm): one number per key, the theoretical arrival time of
 * the next request. A request costing `cost` units is allowed while that time is at most
 * `burst - cost` emissions ahead of now. Answers [1, ms until the next request would be
 * allowed (0: budget left)] when allowed, [0, ms until it would be] when refused.
 */
const GCRA = `
local now = tonumber(ARGV[1])
local emission = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4] or '1')
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local excess = tat - now - (burst - cost) * emission
if excess > 0 then return {0, math.ceil(excess)} end
tat = tat + cost * emission
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1)
return {1, math.max(0, math.ceil(excess + emission))}
`;

type Outcome = [allowed: number, ms: number];

function gcraLocal(store: LRUCache<string, number>, key: string, b: Budget, now: number, cost: number): Outcome {
  const tat = Math.max(store.get(key) ?? 0, now);
  const excess = tat - now - (b.burst - cost) * b.emissionMs;
  if (excess > 0) return [0, Math.ceil(excess)];
  store.set(key, tat + cost * b.emissionMs);
  return [1, Math.max(0, Math.ceil(excess + b.emissionMs))];
}

type Scripted = RedisClient & { hmGcra(key: string, now: number, emissionMs: number, burst: number, cost: number): Promise<Outcome> };

/**
 * Rate limits counted in Redis, so that every process shares them. When Redis is unavailable
 * (the guard's breaker is open, or the call fails) the same budget is counted in this process
 * instead: degraded (each process then allows the whole budget) but never failing a request
 * because Redis is away. `onDegraded` counts those local decisions.
 */
export function rateLimiter(deps: { redis: RedisClient; guard: RedisGuard; prefix: string; now: () => number; onDegraded?: (budget: string) => void }) {
  const r = deps.redis as Scripted;
  if (!('hmGcra' in r)) deps.redis.defineCommand('hmGcra', { numberOfKeys: 1, lua: GCRA });
  const local = new LRUCache<string, number>({ max: 100_000 });

  async function gcra(b: Budget, key: string, cost = 1): Promise<Outcome> {
    const now = deps.now();
    const k = `${deps.prefix}:rl:${b.name}:${key}`;
    if (deps.guard.available) {
      try {
        return await deps.guard.run(() => r.hmGcra(k, now, b.emissionMs, b.burst, cost));
      } catch (e) {
        if (!isAppError(e)) throw e;
      }
    }
    deps.onDegraded?.(b.name);
    return gcraLocal(local, k, b, now, cost);
  }

  /**
   * Takes of one key made while its previous take is in Redis go as one take of their summed
   * cost (a busy cluster's commits: one round trip for many requests instead of one each).
   * GCRA allows k units at once exactly when it would allow them one after another, so an
   * allowed sum allows each; a refused sum is taken again one by one, in order, as before.
   */
  const takeTogether = groupCommit<{ b: Budget; key: string; cost: number }, number>({
    maxBatch: 256,
    maxInFlight: 1,
    async flush(_k, takes) {
      const { b, key } = takes[0];
      const sum = takes.reduce((s, t) => s + t.cost, 0);
      if (takes.length > 1 && sum <= b.burst) {
        const [allowed] = await gcra(b, key, sum);
        if (allowed) return takes.map(() => 0);
      }
      return Promise.all(takes.map(async (t) => {
        const [allowed, ms] = await gcra(b, key, t.cost);
        return allowed ? 0 : ms;
      }));
    },
  });

  return {
    /**
     * Takes `cost` (default one request) from `key`'s budget: 0 when allowed, else the
     * milliseconds to wait. A cost above the burst can never be allowed: callers cap it.
     */
    take(b: Budget, key: string, cost = 1): Promise<number> {
      return takeTogether(`${b.name}:${b.emissionMs}:${b.burst}:${key}`, { b, key, cost });
    },
    /** Spends one from `key`'s budget: 0 while some is left, else the milliseconds until there is. */
    async spend(b: Budget, key: string): Promise<number> {
      return (await gcra(b, key))[1];
    },
  };
}
export type RateLimiter = ReturnType<typeof rateLimiter>;
