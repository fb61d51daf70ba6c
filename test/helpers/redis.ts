import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../../infra/local/redis-server';
import { bullConnection } from '../../shared/redis';
import { queueKeys } from '../../workers/queue-keys';

export interface TestRedis {
  url: string;
  /** REDIS_URL is a Redis Cluster (HM_REDIS_CLUSTER=true: the `npm run test:redis-cluster` run). */
  cluster: boolean;
  close(): Promise<void>;
}

/** REDIS_URL when set (callers isolate themselves by key prefix), else a private redis-server. */
export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, cluster: process.env.HM_REDIS_CLUSTER === 'true', close: async () => {} };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-redis-'));
  const server = await startRedisServer(dir, false);
  return {
    url: server.url,
    cluster: false,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What a test that opens BullMQ objects itself connects with: the harness's Redis, one shared
 * cluster client and queue keys hash-tagged per queue in the cluster run (as infra/compose.ts).
 */
export function testBull(redisUrl: string, cluster: boolean, prefix: string) {
  const bull = bullConnection(redisUrl, cluster);
  return { connection: bull.connection, keys: queueKeys(prefix, cluster), close: bull.close };
}
