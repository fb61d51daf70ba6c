import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** One JSON call to the API; a non-2xx answer is an error (benchmarks set up on the happy path). */
export async function call(url: string, method: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const out = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

/**
 * A tenant with a ready single-region cluster and a read-write agent key on a running server
 * whose data directory is `dataDir` (the admin token comes from the CLI, as an operator's would).
 */
/** The bench cluster's bucket: commit replicas must name it. */
export const BENCH_BUCKET = 's3://bench/data';

/** The store engine the figures come from (`npm run bench:dynamodb-local` points DYNAMODB_ENDPOINT at DynamoDB Local). */
export const benchEngine = () => (process.env.DYNAMODB_ENDPOINT ? `DynamoDB Local at ${process.env.DYNAMODB_ENDPOINT}` : 'dynalite 4, in memory');

export async function benchCluster(serverUrl: string, dataDir: string, tenant: { tier: string; limitOverrides?: Record<string, number> }) {
  const admin = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['infra/cli/admin-token.ts'], { cwd: ROOT, env: { ...process.env, HM_DATA_DIR: dataDir }, encoding: 'utf8' }).stdout.trim();
  const { apiKey } = await call(`${serverUrl}/admin/v1/tenants`, 'POST', admin, { name: 'Bench', ...tenant });
  const key = apiKey.secret as string;
  const cluster = await call(`${serverUrl}/v1/clusters`, 'POST', key, {
    name: 'bench',
    regions: ['us-east-1'],
    storage: { buckets: [{ region: 'us-east-1', url: BENCH_BUCKET }], writeQuorum: 1 },
  });
  while ((await call(`${serverUrl}/v1/clusters/${cluster.id}`, 'GET', key)).status !== 'ready') await new Promise((r) => setTimeout(r, 100));
  const agentKey = (await call(`${serverUrl}/v1/clusters/${cluster.id}/agent-keys`, 'POST', key, { name: 'bench', access: 'read-write' })).secret as string;
  return { key, clusterId: cluster.id as string, agentKey };
}

/** Runs a benchmark module's `run` when the file is executed directly. */
export function runIfMain(meta: ImportMeta, run: () => Promise<unknown>) {
  if (meta.url !== `file://${process.argv[1]}`) return;
  run().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
