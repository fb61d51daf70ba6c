import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis';
import { isAppError, unavailable } from './errors';

/** A connection to one Redis, or to a Redis Cluster (HM_REDIS_CLUSTER): both speak the same commands. */
export type RedisClient = Redis | Cluster;

export const isCluster = (redis: RedisClient): redis is Cluster => (redis as Cluster).isCluster === true;

/** Reconnect quickly and keep trying: an embedded child restarts within a second or two. */
const reconnectDelay = (times: number) => Math.min(100 * times, 1000);

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (they block). The
 * request-path connection is bounded: every command fails after `commandTimeoutMs` (also
 * while it waits in the offline queue for a reconnect), and queued commands are dropped
 * after one failed reconnect, so a dead or stopped Redis answers an error instead of hanging.
 */
export function createRedis(url: string, purpose: 'command' | 'blocking', extra?: RedisOptions & { commandTimeoutMs?: number; cluster?: false }): Redis;
export function createRedis(url: string, purpose: 'command' | 'blocking', extra: RedisOptions & { commandTimeoutMs?: number; cluster: boolean }): RedisClient;
export function createRedis(url: string, purpose: 'command' | 'blocking', extra: RedisOptions & { commandTimeoutMs?: number; cluster?: boolean } = {}): RedisClient {
  const { commandTimeoutMs = 1000, cluster = false, ...options } = extra;
  if (cluster) return createCluster(url, purpose, commandTimeoutMs, options);
  const redis = new Redis(url, {
    maxRetriesPerRequest: purpose === 'blocking' ? null : 1,
    enableOfflineQueue: true,
    ...(purpose === 'command' ? { commandTimeout: commandTimeoutMs } : {}),
    // Off: ioredis keeps one auto-pipeline in flight per connection, so under load every
    // command first waits out the previous batch's round trip. `coalesceWrites` batches
    // the writes instead, without that wait.
    enableAutoPipelining: false,
    connectTimeout: 5000,
    lazyConnect: false,
    retryStrategy: reconnectDelay,
    ...options,
  });
  // Connection errors surface on the commands (and in readiness); an unhandled 'error' event
  // would only spam the log with ioredis' own warning while Redis is away.
  redis.on('error', () => {});
  if (purpose === 'command') coalesceWrites(redis);
  return redis;
}

/**
 * A Redis Cluster client (ElastiCache Serverless speaks only cluster mode), seeded from the one
 * endpoint in `url`; it learns the other nodes from CLUSTER SLOTS. Same limits as the single
 * node: the deadline of a command also runs while the cluster itself is not ready (ioredis
 * then holds commands in its own offline queue, where the nodes' `commandTimeout` does not
 * reach), and writes are coalesced per node connection.
 */
function createCluster(url: string, purpose: 'command' | 'blocking', commandTimeoutMs: number, options: RedisOptions): Cluster {
  const u = new URL(url);
  const redisOptions: RedisOptions = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    // rediss:// (ElastiCache: in-transit encryption is always on) is TLS to every node.
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: purpose === 'blocking' ? null : 1,
    ...(purpose === 'command' ? { commandTimeout: commandTimeoutMs } : {}),
    enableAutoPipelining: false,
    connectTimeout: 5000,
    ...options,
  };
  const clusterOptions: ClusterOptions = {
    redisOptions,
    // ElastiCache with TLS: connect to the node names as given, not to addresses ioredis
    // resolved them to, or the certificate's host name no longer matches (ioredis README).
    dnsLookup: (address, callback) => callback(null, address),
    clusterRetryStrategy: reconnectDelay,
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    lazyConnect: false,
    slotsRefreshTimeout: 2000,
  };
  const cluster = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], clusterOptions);
  cluster.on('error', () => {});
  cluster.on('+node', (node: Redis) => {
    node.on('error', () => {});
    if (purpose === 'command') coalesceWrites(node);
  });
  if (purpose === 'command') {
    const send = cluster.sendCommand.bind(cluster);
    cluster.sendCommand = ((command, stream, node) => {
      // Command#setTimeout is idempotent: the node's own commandTimeout later finds it set.
      command.setTimeout(commandTimeoutMs);
      return send(command, stream, node);
    }) as Cluster['sendCommand'];
  }
  return cluster;
}

/**
 * What BullMQ connects with (queues and workers): blocking-safe, reconnecting quickly. On a
 * single node, options (each queue and worker opens its own connection, as before); on a
 * cluster, one Cluster client that every queue and worker given it shares (BullMQ builds a
 * cluster client only from an instance, never from options); workers duplicate it for their
 * blocking fetches. BullMQ leaves a shared client open: `close` ends it.
 */
export function bullConnection(url: string, cluster = false) {
  if (!cluster) return { connection: { url, maxRetriesPerRequest: null, retryStrategy: reconnectDelay }, close: () => {} };
  const client = createRedis(url, 'blocking', { cluster: true });
  return { connection: client, close: () => client.disconnect() };
}

/**
 * Every key matching `pattern` (SCAN, never KEYS), at most about `limit`. A cluster's SCAN
 * covers only the node it reaches, so there every master is scanned.
 */
export async function scanKeys(redis: RedisClient, pattern: string, limit = Infinity): Promise<string[]> {
  const keys: string[] = [];
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0' && keys.length < limit);
    if (keys.length >= limit) break;
  }
  return keys;
}

/** One command: its name (a built-in or one added with defineCommand), then its arguments. */
export type RedisCall = [name: string, ...args: (string | number)[]];

/**
 * Commands that need not be atomic together, in one round trip: a pipeline on a single node.
 * On a cluster ioredis sends a pipeline to one node only and refuses one whose keys live on
 * several, so there each command goes on its own, all at once (the node connections coalesce
 * them into one write per node). Replies in order; the first failed command fails the call.
 */
export async function pipelined(redis: RedisClient, calls: RedisCall[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  if (isCluster(redis)) {
    const r = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
    return Promise.all(calls.map(([name, ...args]) => r[name](...args)));
  }
  const pipe = redis.pipeline() as unknown as Record<string, (...args: (string | number)[]) => unknown> & { exec(): Promise<[Error | null, unknown][] | null> };
  for (const [name, ...args] of calls) pipe[name](...args);
  return ((await pipe.exec()) ?? []).map(([err, v]) => {
    if (err) throw err;
    return v;
  });
}

const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|OOM)\b/;

/**
 * A circuit breaker in front of the request-path Redis calls. The deadline itself is the
 * connection's (`commandTimeout`, see createRedis: it also covers commands waiting for a
 * reconnect); a failure opens the breaker, and while it is open calls fail at once with a
 * retryable 503 `redis_unavailable` instead of each waiting out the deadline. After
 * `retryAfterMs`, one call at a time is let through as a probe; its success closes it.
 */
export function redisGuard(opts: { retryAfterMs?: number; now?: () => number; onChange?: (available: boolean, cause?: Error) => void } = {}) {
  const retryAfterMs = opts.retryAfterMs ?? 1000;
  const now = opts.now ?? Date.now;
  let openUntil = 0;
  let available = true;
  let probing = false;
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const down = () => unavailable('redis_unavailable', 'A dependency this request needs (Redis) is unavailable; retry shortly.', { retryAfterSeconds });
  const set = (up: boolean, cause?: Error) => {
    if (up === available) return;
    available = up;
    opts.onChange?.(up, cause);
  };
  const failed = (e: unknown) => {
    // Our own refusals, and errors Redis itself answered (a script's error, a wrong type),
    // are not outages; a loading or busy server is.
    if (isAppError(e) || (e instanceof ReplyError && !TRANSIENT_REPLY.test((e as Error).message))) {
      set(true);
      return e;
    }
    openUntil = now() + retryAfterMs;
    set(false, e as Error);
    return down();
  };

  return {
    /** Whether the last Redis call succeeded (the metric); `available` is whether to try one. */
    get healthy() {
      return available;
    },
    /** False while the breaker is open: callers with a fallback may skip Redis. */
    get available() {
      return available || (now() >= openUntil && !probing);
    },
    async run<T>(call: () => Promise<T>): Promise<T> {
      if (available) {
        // The hot path: no timer, no extra promise beyond the call's own.
        try {
          return await call();
        } catch (e) {
          throw failed(e);
        }
      }
      if (probing || now() < openUntil) throw down();
      probing = true;
      try {
        const out = await call();
        set(true);
        return out;
      } catch (e) {
        throw failed(e);
      } finally {
        probing = false;
      }
    },
  };
}
export type RedisGuard = ReturnType<typeof redisGuard>;

/**
 * Each async method of `target` bounded by `timeoutMs`: past it the caller gets a retryable
 * 503 `redis_unavailable` (the call itself may still complete later). For BullMQ producers,
 * whose connection waits for Redis without limit.
 */
export function withDeadline<T extends object>(target: T, timeoutMs: number): T {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(target)) {
    out[name] =
      typeof fn !== 'function'
        ? fn
        : async (...args: unknown[]) => {
            const down = () => unavailable('redis_unavailable', 'The job queue (Redis) is unavailable; retry shortly.', { retryAfterSeconds: 1 });
            let timer: NodeJS.Timeout | undefined;
            try {
              return await Promise.race([
                fn.apply(target, args),
                new Promise((_, reject) => {
                  timer = setTimeout(() => reject(down()), timeoutMs);
                }),
              ]);
            } catch (e) {
              throw isAppError(e) ? e : down();
            } finally {
              clearTimeout(timer);
            }
          };
  }
  return out as T;
}

/**
 * Commands sent during one turn of the event loop leave in one write: the socket is corked
 * at the first and uncorked once the loop has run this turn's I/O callbacks. Fewer syscalls
 * for Node and Redis under load (14–15k heartbeats/s against 12k without), and unlike
 * auto-pipelining any number of batches may be in flight.
 */
function coalesceWrites(redis: Redis) {
  const send = redis.sendCommand.bind(redis);
  let corked: Redis['stream'] | undefined;
  const uncork = () => {
    const stream = corked;
    corked = undefined;
    stream?.uncork();
  };
  redis.sendCommand = ((command, stream) => {
    if (!corked && redis.status === 'ready' && redis.stream) {
      corked = redis.stream;
      corked.cork();
      setImmediate(uncork);
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
}
