/**
 * The store client's own CPU per request (`npm run bench -- store-client`): a conditional put,
 * a get and an update in turn through the in-process client, with the SDK's middleware cache
 * on (as shipped, see `cachingMiddleware` in shared/dynamo.ts) and off, in alternated child
 * processes (HM_BENCH_PAIRS pairs, HM_BENCH_OPS rounds each), so that the ratio is side by side.
 */
import { spawnSync } from 'node:child_process';
import { startDynalite } from '../../infra/local/dynalite';
import { ensureTables } from '../../infra/local/ensure-tables';
import { createDynamoClient, Db, tableNames } from '../../shared/dynamo';
import { figure } from './report';

const WARMUP_ROUNDS = 300;

async function measure(cache: boolean, rounds: number): Promise<number> {
  const engine = await startDynalite(undefined);
  const client = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', inProcess: engine.inProcess });
  (client.config as { cacheMiddleware?: boolean }).cacheMiddleware = cache;
  await ensureTables(client, 'bench-');
  const db = new Db(client);
  const table = tableNames('bench-').control;
  const round = async (pk: string, i: number) => {
    await db.put(table, { pk, sk: `a${i}`, n: i }, { expr: 'attribute_not_exists(pk)' });
    await db.get(table, { pk, sk: `a${i}` });
    await db.update({ table, key: { pk, sk: `a${i}` }, update: 'SET n = n + :one', values: { ':one': 1 } });
  };
  for (let i = 0; i < WARMUP_ROUNDS; i++) await round('T#warm', i);
  const before = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await round('T#bench', i);
  const used = process.cpuUsage(before);
  client.destroy();
  await engine.close();
  return (used.user + used.system) / (3 * rounds);
}

const mode = process.argv[2];
if (mode === 'on' || mode === 'off') {
  console.log(JSON.stringify({ usPerRequest: await measure(mode === 'on', Number(process.argv[3])) }));
} else {
  const pairs = Number(process.env.HM_BENCH_PAIRS ?? 5);
  const rounds = Number(process.env.HM_BENCH_OPS ?? 3000);
  const run = (m: 'on' | 'off') => {
    const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, m, String(rounds)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`store-client ${m} failed: ${r.stderr}`);
    return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { usPerRequest: number }).usPerRequest;
  };
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const off = run('off');
    const on = run('on');
    ratios.push(on / off);
    console.log(`pair ${p + 1}: ${off.toFixed(0)} µs without the cache, ${on.toFixed(0)} µs with it (${(on / off).toFixed(2)}×)`);
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  figure('store_client_cache_cpu_ratio', sorted[Math.floor(sorted.length / 2)], 'x', { pairs: ratios.map((r) => Number(r.toFixed(3))) });
}
