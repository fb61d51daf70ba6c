/**
 * The journal's size and one cluster's commit ceiling under DynamoDB's per-partition write
 * limit. On AWS one partition key takes about 1,000 write units a second (1 KB each, rounded
 * up per item); a cluster's journal lives under one key, so that caps its write rate however
 * many nodes run. Here a client middleware throttles every partition key to that budget (a
 * token bucket of 1,000 units refilled per second; a put waits for its units, as the SDK's
 * retries on ProvisionedThroughputExceeded would), in front of the embedded dynalite.
 *   1. journal bytes per committed batch: stored item size (DynamoDB's accounting: attribute
 *      names and values) and the encoded entry alone, 20 batches/file at 64 committers
 *   2. commits/s and journal MB/s of one cluster at 64 committers, throttled, with its journal on
 *      one partition key (1 stripe, every cluster before stripes) and striped over N keys, side by
 *      side, and their ratio; the busiest key's write units per second against its 1,000
 *   3. the same two clusters unthrottled: what the embedded engine and one process allow, so that
 *      the reader can tell which cap a figure hits
 *   4. the pair again with every key held to HM_BENCH_SCALED_WCU (default 50) units a second, a
 *      scale model in which the keys and not this machine are the cap of both
 * Run: npm run bench -- journal-ceiling   (HM_BENCH_STRIPES=N: the striped cluster's count, default 16)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clusterPk } from '../../shared/keys';
import { journalLayout, stripePks } from '../../services/metadata/journal-stripes';
import { startTestDynamo } from '../helpers/dynamo';
import { benchFile, cluster, createTopics, node } from './sequencer';
import { runIfMain } from './setup';

const WCU_PER_S = 1000;
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

type AttributeValue = { S?: string; N?: string; B?: Uint8Array; BOOL?: boolean; NULL?: boolean; M?: Record<string, AttributeValue>; L?: AttributeValue[] };

/** DynamoDB's item size: names plus values (numbers about 1 byte per 2 digits, plus 1). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueBytes(v);
  return n;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-/, '').replace('.', '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M) return 3 + itemBytes(v.M);
  if (v.L) return 3 + v.L.reduce((s, x) => s + 1 + valueBytes(x), 0);
  return 0;
}

/** Throttles writes per partition key to `wcuPerS` write units a second (a put waits for its units) while `enabled`. */
export function throttlePartitions(client: DynamoDBClient, wcuPerS = WCU_PER_S) {
  const buckets = new Map<string, { tokens: number; at: number; queue: Promise<void> }>();
  const stats = { enabled: true, units: 0, waitedMs: 0, writes: 0, perKey: new Map<string, number>() };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> };
      if (context.commandName === 'PutItemCommand' && input.Item?.pk?.S) {
        const pk = input.Item.pk.S;
        const units = Math.max(1, Math.ceil(itemBytes(input.Item) / 1024));
        if (stats.enabled) {
          let b = buckets.get(pk);
          if (!b) buckets.set(pk, (b = { tokens: wcuPerS, at: performance.now(), queue: Promise.resolve() }));
          const bucket = b;
          // Writes to one key take their units in arrival order.
          const turn = bucket.queue.then(async () => {
            const now = performance.now();
            bucket.tokens = Math.min(wcuPerS, bucket.tokens + ((now - bucket.at) * wcuPerS) / 1000);
            bucket.at = now;
            if (bucket.tokens < units) {
              const waitMs = ((units - bucket.tokens) * 1000) / wcuPerS;
              stats.waitedMs += waitMs;
              await new Promise((r) => setTimeout(r, waitMs));
              bucket.tokens = units;
              bucket.at = performance.now();
            }
            bucket.tokens -= units;
          });
          bucket.queue = turn;
          await turn;
        }
        stats.units += units;
        stats.writes++;
        stats.perKey.set(pk, (stats.perKey.get(pk) ?? 0) + units);
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchPartitionThrottle' },
  );
  return stats;
}
export type ThrottleStats = ReturnType<typeof throttlePartitions>;

async function commitFor(svc: ReturnType<typeof node>, ref: ReturnType<typeof cluster>, concurrency: number, ms: number) {
  const end = performance.now() + ms;
  let commits = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await svc.commitFile(ref, benchFile());
      commits++;
    }
  }));
  return { commits, seconds: (performance.now() - started) / 1000 };
}

interface Ceiling {
  stripes: number;
  throttled: boolean;
  commitsPerS: number;
  journalMBps: number;
  /** Write units per second of the busiest partition key of the cluster (journal stripes and the cluster's own key). */
  busiestKeyWcuPerS: number;
  /** Write units per second of the busiest journal stripe (with one stripe: the cluster's key, snapshots included). */
  busiestStripeWcuPerS: number;
  /** Write units per second of the cluster's own key (lease, snapshots; with one stripe the journal too). */
  baseKeyWcuPerS: number;
  /** Write units per second of all the cluster's keys together. */
  clusterWcuPerS: number;
  unitsPerCommit: number;
  entriesPerS: number;
}

/** One fresh cluster with `stripes` journal keys, `concurrency` committers for `ms` after a 1 s warm-up. */
async function ceiling(d: Awaited<ReturnType<typeof startTestDynamo>>, stats: ThrottleStats, stripes: number, throttled: boolean, concurrency: number, ms: number): Promise<Ceiling & { ref: ReturnType<typeof cluster> }> {
  stats.enabled = throttled;
  const ref = { ...cluster(`vci_j${stripes}_${throttled ? 't' : 'u'}`), journalStripes: stripes };
  const pk = clusterPk(ref.tenantId, ref.clusterId);
  const svc = node(d, `bench-journal-${stripes}-${throttled}`);
  try {
    await createTopics(svc, ref);
    await commitFor(svc, ref, concurrency, 1000); // warm-up
    const seqBefore = svc.status()[0]?.nextSeq ?? 0;
    const keysBefore = new Map([...stats.perKey].filter(([k]) => k.startsWith(pk)));
    const r = await commitFor(svc, ref, concurrency, ms);
    const seqAfter = svc.status()[0]?.nextSeq ?? 0;
    let units = 0;
    let busiest = 0;
    let journalUnits = 0;
    let busiestStripe = 0;
    let base = 0;
    for (const [k, total] of stats.perKey) {
      if (!k.startsWith(pk)) continue;
      const delta = total - (keysBefore.get(k) ?? 0);
      units += delta;
      busiest = Math.max(busiest, delta);
      if (stripes === 1 ? k === pk : k !== pk) {
        journalUnits += delta;
        busiestStripe = Math.max(busiestStripe, delta);
      }
      if (k === pk) base = delta;
    }
    return {
      ref,
      stripes,
      throttled,
      commitsPerS: r.commits / r.seconds,
      // With one stripe the journal shares its key with the snapshots: the key's units are the journal's bound.
      journalMBps: (journalUnits * 1024) / r.seconds / 1e6,
      busiestKeyWcuPerS: busiest / r.seconds,
      busiestStripeWcuPerS: busiestStripe / r.seconds,
      baseKeyWcuPerS: base / r.seconds,
      clusterWcuPerS: units / r.seconds,
      unitsPerCommit: units / r.commits,
      entriesPerS: (seqAfter - seqBefore) / r.seconds,
    };
  } finally {
    await svc.close();
  }
}

/** Each phase on a fresh embedded store of its own, so that no phase pays for another's items. */
async function phase(stripes: number, throttled: boolean, concurrency: number, ms: number, wcuPerS = WCU_PER_S) {
  const d = await startTestDynamo({ prefix: 'bench-' });
  const stats = throttlePartitions(d.db.client, wcuPerS);
  try {
    const c = await ceiling(d, stats, stripes, throttled, concurrency, ms);
    const bytes = throttled ? await journalBytes(d, c.ref.tenantId, c.ref.clusterId, stripes) : undefined;
    return { ...c, bytes };
  } finally {
    await d.close();
  }
}

export async function run(print: (line: string) => void = console.log): Promise<void> {
  const stripes = Number(process.env.HM_BENCH_STRIPES ?? 16);
  const concurrency = Number(process.env.HM_BENCH_CONCURRENCY ?? 64);
  // 1 + 2: one cluster per stripe count, throttled per partition key; then 3, unthrottled.
  const one = await phase(1, true, concurrency, 8000);
  const many = await phase(stripes, true, concurrency, 8000);
  const oneFree = await phase(1, false, concurrency, 6000);
  const manyFree = await phase(stripes, false, concurrency, 6000);
  // 4: the same pair with every key held to a fraction of DynamoDB's budget, so that the keys,
  // not this machine's engine, are the cap of both: how the ceiling scales with the stripes.
  const scaledWcu = Number(process.env.HM_BENCH_SCALED_WCU ?? 50);
  const oneScaled = await phase(1, true, concurrency, 8000, scaledWcu);
  const manyScaled = await phase(stripes, true, concurrency, 8000, scaledWcu);

  const bytes = one.bytes!;
  const bytesStriped = many.bytes!;
  print(`journal: ${bytes.items} entries, ${round(bytes.stored / bytes.batches)} stored bytes per committed batch (${round(bytes.encoded / bytes.batches)} encoded), ${round(bytes.stored / bytes.items / 1024)} KB per entry; striped over ${stripes}: ${round(bytesStriped.stored / bytesStriped.batches)} per batch`);
  print(JSON.stringify({ bench: 'journal-ceiling', figure: 'journal_bytes_per_batch', value: round(bytes.stored / bytes.batches), encoded: round(bytes.encoded / bytes.batches), unit: 'bytes', entries: bytes.items, batches: bytes.batches, striped: round(bytesStriped.stored / bytesStriped.batches) }));

  const line = (c: Ceiling) =>
    `${c.stripes === 1 ? ' 1 stripe ' : `${String(c.stripes).padStart(2)} stripes`}: ${String(Math.round(c.commitsPerS)).padStart(6)} commits/s, ${round(c.journalMBps, 2).toFixed(2).padStart(5)} MB/s of journal, ${String(Math.round(c.entriesPerS)).padStart(4)} entries/s, busiest key ${String(Math.round(c.busiestKeyWcuPerS)).padStart(4)} WCU/s (${round((c.busiestKeyWcuPerS / WCU_PER_S) * 100, 0)}% of ${WCU_PER_S}; busiest stripe ${Math.round(c.busiestStripeWcuPerS)}, cluster's own key ${Math.round(c.baseKeyWcuPerS)}), all keys ${Math.round(c.clusterWcuPerS)} WCU/s`;
  print(`one cluster, ${concurrency} committers, under ${WCU_PER_S} WCU/s per partition key (a key's bucket also holds 1 s of burst):`);
  print(`  ${line(one)}`);
  print(`  ${line(many)}`);
  print(`  ratio ${round(many.commitsPerS / one.commitsPerS, 2)}x commits/s, ${round(many.journalMBps / one.journalMBps, 2)}x journal MB/s`);
  print(`unthrottled (the embedded engine and this process are the cap):`);
  print(`  ${line(oneFree)}`);
  print(`  ${line(manyFree)}`);
  const bound = (n: number) => Math.round((n * WCU_PER_S) / one.unitsPerCommit);
  print(`  partition-bound ceilings at ${round(one.unitsPerCommit, 3)} WCU per commit: 1 stripe ≈ ${bound(1)} commits/s, ${stripes} stripes ≈ ${bound(stripes)} commits/s; striped throttled ÷ unthrottled: ${round(many.commitsPerS / manyFree.commitsPerS, 2)}`);
  const scaled = (c: Ceiling) => `${c.stripes === 1 ? ' 1 stripe ' : `${String(c.stripes).padStart(2)} stripes`}: ${String(Math.round(c.commitsPerS)).padStart(6)} commits/s, busiest key ${Math.round(c.busiestKeyWcuPerS)} WCU/s of ${scaledWcu}, all keys ${Math.round(c.clusterWcuPerS)} WCU/s`;
  print(`every key held to ${scaledWcu} WCU/s (1/${round(WCU_PER_S / scaledWcu, 0)} of DynamoDB's), so that the keys are the cap of both:`);
  print(`  ${scaled(oneScaled)}`);
  print(`  ${scaled(manyScaled)}`);
  print(`  ratio ${round(manyScaled.commitsPerS / oneScaled.commitsPerS, 2)}x (the keys' budgets: ${stripes}x)`);
  print(JSON.stringify({ bench: 'journal-ceiling', figure: 'scaled_striped_ceiling_ratio', value: round(manyScaled.commitsPerS / oneScaled.commitsPerS, 2), unit: 'x', stripes, wcu_per_key: scaledWcu, one_stripe_commits_per_s: Math.round(oneScaled.commitsPerS), striped_commits_per_s: Math.round(manyScaled.commitsPerS), busiest_key_fraction: round(manyScaled.busiestKeyWcuPerS / scaledWcu, 3), concurrency }));
  for (const c of [one, many, oneFree, manyFree]) {
    print(JSON.stringify({
      bench: 'journal-ceiling',
      figure: c.throttled ? 'throttled_commits_per_s' : 'unthrottled_commits_per_s',
      value: Math.round(c.commitsPerS),
      unit: 'commits/s',
      stripes: c.stripes,
      journal_mb_per_s: round(c.journalMBps, 2),
      busiest_key_wcu_per_s: Math.round(c.busiestKeyWcuPerS),
      busiest_key_fraction: round(c.busiestKeyWcuPerS / WCU_PER_S, 3),
      busiest_stripe_wcu_per_s: Math.round(c.busiestStripeWcuPerS),
      base_key_wcu_per_s: Math.round(c.baseKeyWcuPerS),
      wcu_per_commit: round(c.unitsPerCommit, 4),
      entries_per_s: Math.round(c.entriesPerS),
      concurrency,
    }));
  }
  print(JSON.stringify({ bench: 'journal-ceiling', figure: 'striped_ceiling_ratio', value: round(many.commitsPerS / one.commitsPerS, 2), unit: 'x', stripes, journal_mb_ratio: round(many.journalMBps / one.journalMBps, 2), unthrottled_ratio: round(manyFree.commitsPerS / oneFree.commitsPerS, 2), striped_throttled_over_unthrottled: round(many.commitsPerS / manyFree.commitsPerS, 2) }));
  // When the engine is faster than the limit, the key is the bound: its units over the units a commit costs.
  print(JSON.stringify({ bench: 'journal-ceiling', figure: 'partition_commit_ceiling', value: bound(1), unit: 'commits/s', stripes: 1, wcu_per_commit: round(one.unitsPerCommit, 4), striped_value: bound(stripes) }));
}

/** Stored bytes (DynamoDB's accounting) and encoded bytes of a cluster's journal, per committed batch (warm-up included). */
async function journalBytes(d: Awaited<ReturnType<typeof startTestDynamo>>, tenantId: string, clusterId: string, stripes: number) {
  const { decodeEntry } = await import('../../services/metadata/ops');
  let items = 0;
  let stored = 0;
  let encoded = 0;
  let files = 0;
  for (const pk of stripePks(journalLayout(clusterPk(tenantId, clusterId), stripes))) {
    for await (const item of d.db.queryAll<Record<string, unknown>>({ table: d.tables.metadata, keyCondition: 'pk = :pk AND begins_with(sk, :j)', values: { ':pk': pk, ':j': 'J#' } })) {
      items++;
      const data = item.data as Uint8Array;
      encoded += data.length;
      stored += Buffer.byteLength('pk') + Buffer.byteLength(pk) + 2 + Buffer.byteLength(String(item.sk)) + 4 + data.length + 5 + 4 + 6 + Buffer.byteLength(String(item.writer)) + 6 + Buffer.byteLength(String(item.leader ?? ''));
      // Commit operations: one per file, 20 batches each.
      for (const op of decodeEntry(data)) if (op.type === 'commitFile') files++;
    }
  }
  return { items, stored, encoded, batches: files * 20 };
}

runIfMain(import.meta, () => run());
