import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (they block); request
 * paths get a bounded retry so a dead Redis answers 503 instead of hanging.
 */
export function createRedis(url: string, purpose: 'command' | 'blocking', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: purpose === 'blocking' ? null : 2,
    enableOfflineQueue: true,
    // Off on purpose: ioredis keeps one auto-pipeline in flight per connection, so under load
    // each command first waits out the previous batch's round trip (heartbeats measured a
    // lower p99 without it, at the same throughput).
    enableAutoPipelining: false,
    connectTimeout: 5000,
    lazyConnect: false,
    ...extra,
  });
}
