import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { compose, type Runtime } from '../../infra/compose';
import { loadConfig } from '../../shared/config';
import { randomBase62 } from '../../shared/crypto';
import { createLogger } from '../../shared/logger';
import type { Clock } from '../../shared/clock';
import { startDynalite } from '../../infra/local/dynalite';
import { startTestRedis } from './redis';

export interface HarnessOptions {
  workers?: boolean;
  /** Run a second control-plane process on the same store and Redis as this one. */
  shareWith?: { config: { dataDir: string; queuePrefix: string }; engines: { dynamoEndpoint: string; redisUrl: string } };
  clock?: Clock;
  env?: Record<string, string>;
  reconcileEveryMs?: number;
  /** Collects every log line (parsed) here, at `info`, instead of writing them out. */
  logLines?: Record<string, unknown>[];
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * The whole control plane in this process on real engines: an in-memory dynalite and a
 * real redis-server (or REDIS_URL, isolated by a random queue prefix). Requests go through
 * Fastify's inject, so every plugin, schema and hook runs as in production.
 */
export async function startHarness(opts: HarnessOptions = {}) {
  const dataDir = opts.shareWith?.config.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'hm-test-'));
  const shared = opts.shareWith;
  const dynamo = shared ? { endpoint: shared.engines.dynamoEndpoint, close: async () => {} } : await startDynalite();
  const redis = shared ? { url: shared.engines.redisUrl, close: async () => {} } : await startTestRedis();
  const config = loadConfig({
    NODE_ENV: 'test',
    HM_DATA_DIR: dataDir,
    HM_QUEUE_PREFIX: shared?.config.queuePrefix ?? `hmt${randomBase62(8)}`,
    LOG_LEVEL: opts.logLines ? 'info' : (process.env.LOG_LEVEL ?? 'silent'),
    ...opts.env,
  });
  const runtime: Runtime = await compose({
    config,
    dynamoEndpoint: dynamo.endpoint,
    redisUrl: redis.url,
    clock: opts.clock,
    logger: createLogger(config.logLevel, {}, opts.logLines ? { write: (line: string) => void opts.logLines!.push(JSON.parse(line)) } : undefined),
    pepper: 'test-pepper-'.padEnd(40, 'x'),
    reconcileEveryMs: opts.reconcileEveryMs,
  });
  if (opts.workers !== false) await runtime.startWorkers();
  const app: FastifyInstance = await buildApp(runtime.appDeps);
  await app.ready();

  async function request(method: string, url: string, o: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let payload: string | undefined = o.raw;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown = undefined;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers as Reply["headers"], body, text: res.body };
  }

  const adminToken = (roles: ('admin' | 'viewer')[] = ['admin'], sub = 'test-admin') =>
    runtime.localIssuer!.mint({ sub, roles, ttlSeconds: 600 });

  async function createTenant(tier = 'pro', name = 'Acme') {
    const res = await request('POST', '/admin/v1/tenants', { token: await adminToken(), body: { name, tier } });
    if (res.status !== 201) throw new Error(`tenant create failed: ${res.status} ${res.text}`);
    return { tenant: res.body.tenant, key: res.body.apiKey.secret as string };
  }

  let baseUrl: string | undefined;
  return {
    app,
    runtime,
    config,
    engines: { dynamoEndpoint: dynamo.endpoint, redisUrl: redis.url },
    /** Listens on a real loopback port (for the reference agent); returns the base URL. */
    async listen(port = 0) {
      baseUrl ??= await app.listen({ port, host: '127.0.0.1' });
      return baseUrl;
    },
    request,
    adminToken,
    createTenant,
    async close() {
      await app.close();
      await runtime.close();
      await redis.close();
      await dynamo.close();
      if (!shared) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const singleRegionCluster = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  regions: ['us-east-1'],
  storage: { buckets: [{ region: 'us-east-1', url: `s3://acme-${name}/data` }], writeQuorum: 1 },
  ...extra,
});

export const multiRegionCluster = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  tier: 'enterprise',
  regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
  storage: {
    buckets: [
      { region: 'us-east-1', url: `s3://acme-${name}-use1/data` },
      { region: 'us-west-2', url: `s3://acme-${name}-usw2/data` },
      { region: 'eu-west-1', url: `s3://acme-${name}-euw1/data` },
    ],
    writeQuorum: 2,
  },
  ...extra,
});
