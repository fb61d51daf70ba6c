import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../../infra/local/redis-server';

export interface TestRedis {
  url: string;
  close(): Promise<void>;
}

/** REDIS_URL when set (callers isolate themselves by key prefix), else a private redis-server. */
export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, close: async () => {} };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-redis-'));
  const server = await startRedisServer(dir, false);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
