/**
 * Metadata sequencer benchmark, on the embedded dynalite (in memory, in this process, as in
 * the default single-machine runtime). Prints a human line and a JSON line per figure:
 *   1. raw ceiling: sequential conditional puts/s on the same dynalite
 *   2. commits/s and p50/p99 at 1, 16, 64, 256 concurrent committers (service API)
 *   3. fetch-plan partition lookups/s over 1,000 partitions x 1,000 batches
 *   4. heap bytes per indexed batch at 1,000,000 batches
 *   5. recovery time of a 1,000,000-batch cluster from snapshot + a 1,000-entry tail
 * Run: npm run bench -- sequencer   (or import { run })
 * HM_SEQUENCER_FIGURES=raw,commits,memory,recovery picks figures (default all; memory = 3 and 4).
 */
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { manualClock, systemClock } from '../../shared/clock';
import { ClusterCore } from '../../services/metadata/core';
import { metadataService, type MetadataService } from '../../services/metadata/service';
import type { ClusterRef, CommitFileInput } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateFetchPlan } from '../../services/metadata/validate-reads';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { faultHooks } from '../helpers/gate';
import { benchEngine, runIfMain } from './setup';

type Figure = Record<string, string | number>;

const TOPICS = 10;
const PARTITIONS_PER_TOPIC = 100;
const PARTITIONS = TOPICS * PARTITIONS_PER_TOPIC;
const BATCH_BYTES = 64 * 1024;

export const cluster = (clusterId: string): ClusterRef => ({
  tenantId: 'tnt_bench',
  clusterId,
  regions: ['us-east-1'],
  buckets: [{ region: 'us-east-1', url: 'customer-bucket' }],
  writeQuorum: 1,
  autoCreateTopics: false,
  defaultPartitions: 1,
  defaultRetentionMs: 86_400_000,
  defaultRetentionBytes: -1,
  producerIdExpirationMs: 7 * 86_400_000,
  offsetsRetentionMs: 7 * 86_400_000,
  limits: { partitionsPerCluster: 200_000, maxRetentionMs: -1 },
});

let fileNo = 0;
/** A file of 20 batches: two each for 10 random partitions of the 1,000. */
export function benchFile(): CommitFileInput {
  const fileId = `file-${(fileNo++).toString(36).padStart(8, '0')}`;
  const batches = [];
  for (let p = 0; p < 10; p++) {
    const partition = Math.floor(Math.random() * PARTITIONS);
    for (let j = 0; j < 2; j++) {
      const i = p * 2 + j;
      batches.push({ topic: `topic-${partition % TOPICS}`, partition: Math.floor(partition / TOPICS), byteOffset: i * BATCH_BYTES, byteLength: BATCH_BYTES, recordCount: 100, maxTimestamp: 1_800_000_000_000 + fileNo });
    }
  }
  return {
    fileId,
    objectKey: `warpstream/_files/${fileId}.data`,
    sizeBytes: batches.length * BATCH_BYTES,
    replicas: [{ region: 'us-east-1', bucket: 'customer-bucket', checksum: `sha256-${fileId}-0123456789abcdef` }],
    batches,
  };
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

export function node(d: TestDynamo, nodeId: string, over: Partial<Parameters<typeof metadataService>[0]> = {}): MetadataService {
  return metadataService({ db: d.db, table: d.tables.metadata, clock: systemClock, nodeId, advertisedAddress: `${nodeId}:9443`, leaseMs: 30_000, ...over });
}

/** A node whose crash switch the benchmark holds (the recovery figure starts from a crash). */
function crashableNode(d: TestDynamo, nodeId: string, over: Partial<Parameters<typeof metadataService>[0]> = {}) {
  const faults = faultHooks();
  return { node: node(d, nodeId, { ...over, hooks: faults.hooks }), crash: faults.stopAbruptly };
}

export async function createTopics(svc: MetadataService, ref: ClusterRef): Promise<void> {
  for (let t = 0; t < TOPICS; t++) await svc.createTopic(ref, { name: `topic-${t}`, partitions: PARTITIONS_PER_TOPIC });
}

async function rawCeiling(d: TestDynamo, ms: number): Promise<number> {
  const data = new Uint8Array(200);
  let n = 0;
  const pk = `bench-raw-${ms}-${Math.random()}`;
  const put = () => d.db.put(d.tables.metadata, { pk, sk: `J#${String(n++).padStart(12, '0')}`, data }, { expr: 'attribute_not_exists(sk)' });
  for (const end = performance.now() + 500; performance.now() < end; ) await put(); // warm-up
  const start = performance.now();
  const first = n;
  while (performance.now() - start < ms) await put();
  return ((n - first) * 1000) / (performance.now() - start);
}

export async function commitLoad(svc: MetadataService, ref: ClusterRef, concurrency: number, ms: number) {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const file = benchFile();
        const t0 = performance.now();
        await svc.commitFile(ref, file);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), commits: latencies.length };
}

function gcFunction(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

function memory(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** 1,000 partitions x 1,000 batches in a ClusterCore (the leader's in-memory state), built by its commit path. */
function loadCore(): ClusterCore {
  const ref = cluster('vci_core');
  const core = new ClusterCore();
  for (let t = 0; t < TOPICS; t++) core.execute({ kind: 'createTopic', cluster: ref, input: { name: `topic-${t}`, partitions: PARTITIONS_PER_TOPIC } }, 1);
  // Each file: 20 batches, 2 each on 10 partitions, rotating so every partition gets exactly 1,000.
  for (let f = 0; f < 50_000; f++) {
    const file = benchFile();
    for (let i = 0; i < 20; i++) {
      const partition = ((f % 100) * 10 + Math.floor(i / 2)) % PARTITIONS;
      Object.assign(file.batches[i], { topic: `topic-${partition % TOPICS}`, partition: Math.floor(partition / TOPICS) });
    }
    core.execute({ kind: 'commitFile', cluster: ref, commit: validateCommit(file, ref) }, 2);
  }
  return core;
}

/** Nanoseconds the main thread has run on a CPU (Linux), else the process's CPU time. */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const mainThreadCpuMs = existsSync(SCHEDSTAT) ? () => Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) / 1e6 : () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function fetchLookups(core: ClusterCore, mode: 'random' | 'tail', ms: number) {
  let lookups = 0;
  let batches = 0;
  const start = performance.now();
  const cpuStart = mainThreadCpuMs();
  while (performance.now() - start < ms) {
    // A request of 10 partitions, 1 MiB per partition, 50 MiB per request (Kafka's defaults).
    const partitions = [];
    const first = Math.floor(Math.random() * PARTITIONS);
    for (let k = 0; k < 10; k++) {
      const partition = (first + k * 97) % PARTITIONS; // ten distinct partitions
      const offset = mode === 'tail' ? 100_000 - 1 - Math.floor(Math.random() * 300) : Math.floor(Math.random() * 100_000);
      partitions.push({ topic: `topic-${partition % TOPICS}`, partition: Math.floor(partition / TOPICS), offset, maxBytes: 1 << 20 });
    }
    const plan = core.fetchPlan(validateFetchPlan({ partitions, maxBytes: 50 << 20 }));
    for (const p of plan.partitions) batches += p.batches.length;
    lookups += partitions.length;
  }
  const seconds = (performance.now() - start) / 1000;
  // Per second of the main thread's own CPU too: on a shared machine wall time includes other processes' turns.
  const cpuSeconds = (mainThreadCpuMs() - cpuStart) / 1000;
  return { perSecond: lookups / seconds, perCpuSecond: lookups / cpuSeconds, batchesPerLookup: batches / lookups };
}

export async function run(print: (line: string) => void = console.log): Promise<Figure[]> {
  const figures: Figure[] = [];
  const report = (human: string, figure: Figure) => {
    figures.push(figure);
    print(human);
    print(JSON.stringify({ bench: 'sequencer', ...figure }));
  };
  const engine = process.env.DYNAMODB_ENDPOINT ? benchEngine() : `${benchEngine()}, in this process`;
  const only = process.env.HM_SEQUENCER_FIGURES?.split(',');
  const want = (name: string) => !only || only.includes(name);
  const d = await startTestDynamo({ prefix: 'bench-' });
  try {
    // 1. Raw ceiling.
    if (want('raw')) {
      const raw = await rawCeiling(d, 3000);
      report(`raw ceiling: ${Math.round(raw)} sequential conditional puts/s (${engine})`, { figure: 'raw_conditional_puts_per_s', value: Math.round(raw), unit: 'puts/s', engine });
    }

    // 2. Commits through the service API; each level on a fresh cluster (snapshots at their defaults).
    const leader = node(d, 'bench-node');
    for (const concurrency of want('commits') ? [1, 16, 64, 256] : []) {
      const ref = cluster(`vci_commits_${concurrency}`);
      await createTopics(leader, ref);
      await commitLoad(leader, ref, concurrency, 500); // warm-up
      // The machine may be shared: the ratio uses a raw ceiling measured right before each level.
      const adjacentRaw = await rawCeiling(d, 1500);
      const r = await commitLoad(leader, ref, concurrency, 4000);
      const ratio = r.perSecond / adjacentRaw;
      report(
        `commits @${concurrency}: ${Math.round(r.perSecond)}/s (${round(ratio)}x the raw ceiling of ${Math.round(adjacentRaw)} puts/s measured just before), p50 ${round(r.p50)} ms, p99 ${round(r.p99)} ms; 20 batches/file over 10 of 1,000 partitions`,
        {
          figure: 'commits_per_s',
          concurrency,
          value: Math.round(r.perSecond),
          unit: 'commits/s',
          ratio_to_raw: round(ratio, 2),
          raw_puts_per_s: Math.round(adjacentRaw),
          p50_ms: round(r.p50, 2),
          p99_ms: round(r.p99, 2),
          commits: r.commits,
        },
      );
      await leader.dropCluster(ref.tenantId, ref.clusterId);
    }
    await leader.close();

    // 3 + 4. The leader's in-memory state at 1,000,000 batches: fetch lookups and memory.
    if (want('memory')) {
      const gc = gcFunction();
      const before = memory(gc);
      const core = loadCore();
      const after = memory(gc);
      const indexed = core.state.topics.get('topic-0')!.partitions[0].index.length * PARTITIONS;
      const perBatch = (after - before) / indexed;
      report(`memory: ${round(perBatch)} bytes per indexed batch at ${indexed.toLocaleString('en')} batches (heap + typed-array buffers, 50,000 files)`, {
        figure: 'heap_bytes_per_batch',
        value: round(perBatch),
        unit: 'bytes',
        batches: indexed,
      });
      for (const mode of ['random', 'tail'] as const) {
        fetchLookups(core, mode, 300); // warm-up
        const f = fetchLookups(core, mode, 2000);
        report(`fetch plan, ${mode} offsets: ${Math.round(f.perSecond)} partition lookups/s in-process (${Math.round(f.perCpuSecond)} per main-thread CPU second; ${round(f.batchesPerLookup)} batches per lookup, 1 MiB/partition budget)`, {
          figure: 'fetch_lookups_per_s',
          mode,
          value: Math.round(f.perSecond),
          unit: 'lookups/s',
          per_cpu_s: Math.round(f.perCpuSecond),
          batches_per_lookup: round(f.batchesPerLookup, 2),
        });
    }

    }

    // 5. Recovery: 1,000,000 batches committed through a leader, a snapshot, a 1,000-entry tail, a crash.
    if (!want('recovery')) return figures;
    const ref = cluster('vci_recovery');
    const { node: first, crash } = crashableNode(d, 'bench-a', { snapshotEveryEntries: 1_000_000, snapshotEveryMs: 3_600_000 });
    await createTopics(first, ref);
    const loadStart = performance.now();
    let committed = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (committed < 50_000) {
        committed++;
        await first.commitFile(ref, benchFile());
      }
    }));
    const loadMs = performance.now() - loadStart;
    const snapStart = performance.now();
    const snapSeq = await first.snapshotNow(ref);
    const snapMs = performance.now() - snapStart;
    for (let i = 0; i < 1000; i++) await first.commitFile(ref, benchFile());
    crash();
    let recovery: Record<string, number> = {};
    const logger = { debug() {}, warn() {}, error() {}, info: (o: object, msg?: string) => void (msg === 'leading cluster' && (recovery = o as Record<string, number>)) };
    const second = node(d, 'bench-b', { clock: manualClock(Date.now() + 60_000), snapshotEveryEntries: 1_000_000, snapshotEveryMs: 3_600_000, logger });
    const recStart = performance.now();
    const topics = await second.listTopics(ref);
    const recoveryMs = performance.now() - recStart;
    const batches = (await Promise.all(topics.map((t) => second.describeTopic(ref, t.name)))).reduce((n, t) => n + t.partitionDetails.reduce((m, p) => m + p.highWatermark / 100, 0), 0);
    report(
      `recovery: ${Math.round(recoveryMs)} ms for ${batches.toLocaleString('en')} batches: snapshot (entry ${snapSeq}) loaded in ${recovery.snapshotMs} ms, ` +
        `${recovery.replayed} entries replayed, fenced, first answer; writing that snapshot took ${Math.round(snapMs)} ms, committing the batches ${Math.round(loadMs)} ms`,
      { figure: 'recovery_ms', value: Math.round(recoveryMs), unit: 'ms', batches, tail_entries: recovery.replayed, snapshot_load_ms: recovery.snapshotMs, snapshot_write_ms: Math.round(snapMs), engine },
    );
    await second.close();
  } finally {
    await d.close();
  }
  return figures;
}

runIfMain(import.meta, () => run());
