import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (they block); request
 * paths get a bounded retry so a dead Redis answers 503 instead of hanging.
 */
export function createRedis(url: string, purpose: 'command' | 'blocking', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: purpose === 'blocking' ? null : 2,
    enableOfflineQueue: true,
    // Commands issued in the same tick leave in one write: fewer syscalls on hot paths.
    enableAutoPipelining: purpose === 'command',
    connectTimeout: 5000,
    lazyConnect: false,
    ...extra,
  });
}
