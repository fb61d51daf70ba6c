import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { compose, type Runtime } from '../../infra/compose';
import { loadConfig } from '../../shared/config';
import { randomBase62 } from '../../shared/crypto';
import { createLogger } from '../../shared/logger';
import type { InProcessStore } from '../../shared/dynamo';
import type { Clock } from '../../shared/clock';
import { startTestEngine } from './dynamo';
import { startTestRedis } from './redis';

export interface HarnessOptions {
  workers?: boolean;
  /** Run a second control-plane process on the same store and Redis as this one. */
  shareWith?: { config: { dataDir: string; queuePrefix: string; tablePrefix: string; redisCluster: boolean }; engines: { dynamoEndpoint: string; dynamoInProcess?: InProcessStore; redisUrl: string } };
  /** Use this store endpoint (e.g. a link the test can cut) with the given table prefix. */
  store?: { endpoint: string; prefix: string };
  clock?: Clock;
  env?: Record<string, string>;
  reconcileEveryMs?: number;
  /** A Redis the test owns (to stop or kill it); the harness leaves closing it to the test. */
  redisUrl?: string;
  /** Collects every log line (parsed) here, at `info`, instead of writing them out. */
  logLines?: Record<string, unknown>[];
  /** Puts something (an IAM stand-in) between the control plane and its store: returns the endpoint to use. */
  dynamoProxy?: (endpoint: string) => Promise<string>;
  /** The current API key pepper (default a fixed test pepper); previous ones come from HM_API_KEY_PEPPER. */
  pepper?: string;
  /** The base identity for STS AssumeRole (token vending machine tests). */
  stsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * The whole control plane in this process on real engines: an in-memory dynalite (or the
 * DYNAMODB_ENDPOINT engine, see startTestEngine) and a real redis-server (or REDIS_URL,
 * isolated by a random queue prefix). Requests go through Fastify's inject, so every plugin,
 * schema and hook runs as in production.
 */
export async function startHarness(opts: HarnessOptions = {}) {
  const dataDir = opts.shareWith?.config.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'hm-test-'));
  const shared = opts.shareWith;
  const dynamo = shared
    ? { endpoint: shared.engines.dynamoEndpoint, inProcess: shared.engines.dynamoInProcess, prefix: shared.config.tablePrefix, close: async () => {} }
    : opts.store
      ? { ...opts.store, inProcess: undefined, close: async () => {} }
      : await startTestEngine();
  const redis = shared
    ? { url: shared.engines.redisUrl, cluster: shared.config.redisCluster, close: async () => {} }
    : opts.redisUrl
      ? { url: opts.redisUrl, cluster: false, close: async () => {} }
      : await startTestRedis();
  const config = loadConfig({
    NODE_ENV: 'test',
    HM_DATA_DIR: dataDir,
    HM_QUEUE_PREFIX: shared?.config.queuePrefix ?? `hmt${randomBase62(8)}`,
    HM_TABLE_PREFIX: dynamo.prefix,
    LOG_LEVEL: opts.logLines ? 'info' : (process.env.LOG_LEVEL ?? 'silent'),
    // Harnesses sharing a data directory are distinct nodes.
    HM_NODE_ID: `test-${randomBase62(10)}`,
    // A generous Redis deadline: on a loaded machine a 1 s deadline turns slow answers into
    // 503s. Tests of the deadline itself set their own.
    HM_REDIS_COMMAND_TIMEOUT_MS: '10000',
    ...(redis.cluster ? { HM_REDIS_CLUSTER: 'true', REDIS_URL: redis.url } : {}),
    ...opts.env,
  });
  const runtime: Runtime = await compose({
    config,
    dynamoEndpoint: opts.dynamoProxy ? await opts.dynamoProxy(dynamo.endpoint) : dynamo.endpoint,
    // What stands between the control plane and its store (a proxy) needs the socket.
    dynamoInProcess: opts.dynamoProxy ? undefined : dynamo.inProcess,
    stsCredentials: opts.stsCredentials,
    redisUrl: redis.url,
    clock: opts.clock,
    logger: createLogger(config.logLevel, {}, opts.logLines ? { write: (line: string) => void opts.logLines!.push(JSON.parse(line)) } : undefined),
    pepper: opts.pepper ?? 'test-pepper-'.padEnd(40, 'x'),
    reconcileEveryMs: opts.reconcileEveryMs,
  });
  // As infra/server.ts does: the app (which resets the metrics registry) before the workers.
  const app: FastifyInstance = await buildApp(runtime.appDeps);
  if (opts.workers !== false) await runtime.startWorkers();
  await app.ready();

  async function request(method: string, url: string, o: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string; remoteAddress?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let payload: string | undefined = o.raw;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.inject({ method: method as 'GET', url, headers, payload, remoteAddress: o.remoteAddress });
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
    engines: { dynamoEndpoint: dynamo.endpoint, dynamoInProcess: dynamo.inProcess, redisUrl: redis.url },
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

/**
 * Polls `check` until it returns a truthy value (or throws after `timeoutMs`). The default is
 * generous: the machine may be loaded by other suites, and a deadline only costs time on failure.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 90_000, everyMs = 50): Promise<T> {
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

/** The bucket URL `singleRegionCluster(name)` gives its one region: what commit replicas must name. */
export const clusterBucket = (name: string) => `s3://acme-${name}/data`;

export const singleRegionCluster = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  regions: ['us-east-1'],
  storage: { buckets: [{ region: 'us-east-1', url: clusterBucket(name) }], writeQuorum: 1 },
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
