/**
 * The journal's size and one cluster's commit ceiling under DynamoDB's per-partition write
 * limit. On AWS one partition key takes about 1,000 write units a second (1 KB each, rounded
 * up per item); a cluster's journal lives under one key, so that caps its write rate however
 * many nodes run. Here a client middleware throttles every partition key to that budget (a
 * token bucket of 1,000 units refilled per second; a put waits for its units, as the SDK's
 * retries on ProvisionedThroughputExceeded would), in front of the embedded dynalite.
 *   1. journal bytes per committed batch: stored item size (DynamoDB's accounting: attribute
 *      names and values) and the encoded entry alone, 20 batches/file at 64 committers
 *   2. commits/s and journal MB/s of one cluster at 64 committers, throttled
 * Run: npm run bench -- journal-ceiling
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clusterPk } from '../../shared/keys';
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

/** Throttles writes per partition key to `wcuPerS` write units a second (a put waits for its units). */
export function throttlePartitions(client: DynamoDBClient, wcuPerS = WCU_PER_S) {
  const buckets = new Map<string, { tokens: number; at: number; queue: Promise<void> }>();
  const stats = { units: 0, waitedMs: 0, writes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> };
      if (context.commandName === 'PutItemCommand' && input.Item?.pk?.S) {
        const pk = input.Item.pk.S;
        const units = Math.max(1, Math.ceil(itemBytes(input.Item) / 1024));
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
        stats.units += units;
        stats.writes++;
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchPartitionThrottle' },
  );
  return stats;
}

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

export async function run(print: (line: string) => void = console.log): Promise<void> {
  const d = await startTestDynamo({ prefix: 'bench-' });
  const stats = throttlePartitions(d.db.client);
  try {
    // 1 + 2: one cluster, 64 committers, throttled per partition key.
    const ref = cluster('vci_journal');
    const svc = node(d, 'bench-journal');
    await createTopics(svc, ref);
    await commitFor(svc, ref, 64, 1000); // warm-up
    const units0 = stats.units;
    const r = await commitFor(svc, ref, 64, 8000);
    const unitsPerCommit = (stats.units - units0) / r.commits;
    const journalMBps = ((stats.units - units0) * 1024) / r.seconds / 1e6;
    await svc.close();

    let items = 0;
    let stored = 0;
    let encoded = 0;
    const pk = clusterPk(ref.tenantId, ref.clusterId);
    for await (const item of d.db.queryAll<Record<string, unknown>>({ table: d.tables.metadata, keyCondition: 'pk = :pk AND begins_with(sk, :j)', values: { ':pk': pk, ':j': 'J#' } })) {
      items++;
      const data = item.data as Uint8Array;
      encoded += data.length;
      stored += Buffer.byteLength('pk') + Buffer.byteLength(pk) + 2 + Buffer.byteLength(String(item.sk)) + 4 + data.length + 5 + 4 + 6 + Buffer.byteLength(String(item.writer)) + 6 + Buffer.byteLength(String(item.leader ?? ''));
    }
    const batches = r.commits * 20;
    // Every commit since the cluster began is in the journal (warm-up included): count them all.
    const files = items > 0 ? await countCommitted(d, pk) : 0;
    const allBatches = files * 20;
    print(`journal: ${items} entries, ${round(stored / allBatches)} stored bytes per committed batch (${round(encoded / allBatches)} encoded), ${round(stored / items / 1024)} KB per entry`);
    print(JSON.stringify({ bench: 'journal-ceiling', figure: 'journal_bytes_per_batch', value: round(stored / allBatches), encoded: round(encoded / allBatches), unit: 'bytes', entries: items, batches: allBatches }));
    print(`one cluster under ${WCU_PER_S} WCU/s per partition key: ${Math.round(r.commits / r.seconds)} commits/s (${Math.round(batches / r.seconds)} batches/s), ${round(journalMBps, 2)} MB/s written to its key, ${Math.round(stats.waitedMs / 1000)} s of throttle waits`);
    print(JSON.stringify({ bench: 'journal-ceiling', figure: 'throttled_commits_per_s', value: Math.round(r.commits / r.seconds), unit: 'commits/s', stripes: 1, journal_mb_per_s: round(journalMBps, 2), concurrency: 64 }));
    // When the engine is faster than the limit, the key is the bound: its units over the units a commit costs.
    const ceiling = WCU_PER_S / unitsPerCommit;
    print(`partition-bound ceiling of one cluster (journal and snapshots under one key): ${Math.round(ceiling)} commits/s (${round(unitsPerCommit, 3)} write units per commit; ${Math.round(ceiling * 20)} batches/s)`);
    print(JSON.stringify({ bench: 'journal-ceiling', figure: 'partition_commit_ceiling', value: Math.round(ceiling), unit: 'commits/s', stripes: 1, wcu_per_commit: round(unitsPerCommit, 4) }));
  } finally {
    await d.close();
  }
}

/** Files committed to the cluster, from the journal (commit operations: one per file). */
async function countCommitted(d: Awaited<ReturnType<typeof startTestDynamo>>, pk: string): Promise<number> {
  const { decodeEntry } = await import('../../services/metadata/ops');
  let files = 0;
  for await (const item of d.db.queryAll<Record<string, unknown>>({ table: d.tables.metadata, keyCondition: 'pk = :pk AND begins_with(sk, :j)', values: { ':pk': pk, ':j': 'J#' } })) {
    for (const op of decodeEntry(item.data as Uint8Array)) if (op.type === 'commitFile') files++;
  }
  return files;
}

runIfMain(import.meta, () => run());
