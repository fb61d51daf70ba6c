// The Redis Cluster run (`npm run test:redis-cluster`): starts a private Redis Cluster of three
// masters (test/helpers/redis-cluster.ts) and runs the suites that touch Redis (agents and
// heartbeats, rate limits, signature replay, lifecycle and agent jobs on BullMQ, the queue
// console, e2e) with HM_REDIS_CLUSTER=true against it, as ElastiCache Serverless would serve
// them: cross-slot scripts, transactions and pipelines fail there. Test harnesses share the
// cluster, isolated by their random queue prefixes; tests that start a Redis of their own (to
// stop or kill it) still get a single node. Extra arguments narrow the run as for test/run.mjs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startTestRedisCluster } from './helpers/redis-cluster';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const suites =
  filters.length > 0
    ? filters
    : [
        'integration/agent-',
        'integration/heartbeat',
        'integration/rate-limits',
        'integration/workload-identity',
        'integration/customer-jobs',
        'integration/lifecycle',
        'integration/reconciler',
        'integration/queue-board',
        'integration/cluster-deletion',
        'integration/tenant-purge',
        'integration/redis-cluster',
        // Not e2e/server-process nor e2e/redis-outage: they test the embedded single node.
        'e2e/agent',
        'e2e/regions',
        'e2e/log-metadata',
        'e2e/sequencer-kill',
        'e2e/demo',
        'e2e/hm-cli',
      ];

const started = Date.now();
const cluster = await startTestRedisCluster(3);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cluster.close().finally(() => process.exit(130)));
console.log(`Redis Cluster ready on ports ${cluster.ports.join(', ')} after ${((Date.now() - started) / 1000).toFixed(1)} s; running: ${suites.join(' ')}`);
const result = spawnSync(process.execPath, [path.join(root, 'test', 'run.mjs'), ...suites], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, REDIS_URL: cluster.url, HM_REDIS_CLUSTER: 'true' },
});
console.log(`test:redis-cluster finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${result.status})`);
await cluster.close();
process.exit(result.status ?? 1);
