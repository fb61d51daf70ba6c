/**
 * Lambda cold start: the Lambda API bundled as it is deployed (infra/cdk/bundle.ts), then,
 * in fresh Node processes, the time from the first line of user code (Node's own start left
 * out, as the Lambda runtime's is) to the first answer of a real customer request (API key
 * check in the store, rate limit in Redis), plus the next, warm request. The engines run in
 * this process; each child is a new "instance".
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleEntry } from '../../infra/cdk/bundle';
import { apiGatewayEvent } from '../helpers/api-gateway';
import { startHarness } from '../helpers/harness';
import { figure, percentile } from './report';
import { runIfMain } from './setup';

const RUNNER = `
const t0 = performance.now();
const [bundle, eventsJson] = process.argv.slice(2);
const { handler } = await import(bundle);
const t1 = performance.now();
const [first, second] = JSON.parse(eventsJson);
const ctx = { awsRequestId: 'bench', callbackWaitsForEmptyEventLoop: false };
const r1 = await handler(first, ctx);
const t2 = performance.now();
const r2 = await handler(second, ctx);
const t3 = performance.now();
console.log(JSON.stringify({ nodeStartMs: t0, importMs: t1 - t0, firstAnswerMs: t2 - t0, warmMs: t3 - t2, status: [r1.statusCode, r2.statusCode] }));
process.exit(0);
`;

export async function run() {
  const runs = Number(process.env.HM_BENCH_COLD_STARTS ?? 7);
  // Inside the checkout, so that the packages left out of the bundle resolve from node_modules.
  const cache = path.resolve(import.meta.dirname, '../../node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'hm-bench-lambda-'));
  const h = await startHarness({ workers: false });
  try {
    const bundleStarted = performance.now();
    const bundle = bundleEntry('infra/lambda.ts', path.join(dir, 'bundle'));
    console.log(`bundled infra/lambda.ts in ${Math.round(performance.now() - bundleStarted)} ms`);
    writeFileSync(path.join(dir, 'runner.mjs'), RUNNER);
    const { key } = await h.createTenant('pro', 'Cold Start Co');
    const events = [apiGatewayEvent('GET', '/v1/tenant', { headers: { authorization: `Bearer ${key}` } }), apiGatewayEvent('GET', '/v1/tenant', { headers: { authorization: `Bearer ${key}` } })];
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: h.engines.dynamoEndpoint,
      HM_TABLE_PREFIX: h.config.tablePrefix,
      REDIS_URL: h.engines.redisUrl,
      HM_QUEUE_PREFIX: h.config.queuePrefix,
      HM_API_KEY_PEPPER: 'test-pepper-'.padEnd(40, 'x'),
      HM_AGENT_PLANE_URL: 'http://127.0.0.1:9',
      // Never fetched (no admin request); production requires https.
      HM_ADMIN_JWKS_URL: 'https://127.0.0.1:9/jwks.json',
      HM_ADMIN_ISSUER: 'https://idp.example.com/',
    };
    // HM_BENCH_LAMBDA_NODE_ARGS adds flags to the instances (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
    const childArgs = process.env.HM_BENCH_LAMBDA_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const results: { nodeStartMs: number; importMs: number; firstAnswerMs: number; warmMs: number; status: number[] }[] = [];
    for (let i = 0; i < runs; i++) {
      // Not spawnSync: the embedded store answers from this process's event loop.
      const r = await runChild([...childArgs, path.join(dir, 'runner.mjs'), bundle, JSON.stringify(events)], env);
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      if (r.status !== 0 || !line.startsWith('{')) throw new Error(`cold start ${i} failed (${r.status}): ${r.stderr.slice(-2000)}`);
      const out = JSON.parse(line);
      if (out.status[0] !== 200 || out.status[1] !== 200) throw new Error(`unexpected answers ${out.status}`);
      results.push(out);
    }
    const sorted = (f: (r: (typeof results)[number]) => number) => results.map(f).sort((a, b) => a - b);
    const first = sorted((r) => r.firstAnswerMs);
    figure('lambda_cold_start_first_answer_p50_ms', percentile(first, 50), 'ms', { runs, target: '<= 300', all: first.map((v) => Math.round(v)) });
    figure('lambda_cold_start_first_answer_max_ms', first.at(-1)!, 'ms');
    figure('lambda_cold_start_import_p50_ms', percentile(sorted((r) => r.importMs), 50), 'ms', { note: 'loading the bundle; the rest of the first answer is composing the runtime and the request' });
    figure('lambda_warm_request_p50_ms', percentile(sorted((r) => r.warmMs), 50), 'ms');
    figure('node_own_start_p50_ms', percentile(sorted((r) => r.nodeStartMs), 50), 'ms', { note: 'not counted above' });
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

runIfMain(import.meta, () => run());
