/**
 * The rest of the Kafka log, through the metadata service in this process:
 *   1. commits/s with half the batches from idempotent producers versus none, interleaved
 *      rounds in the same run (target: at least 90% of the plain rate)
 *   2. steady state: 10M batches committed with 1-hour retention over a 1M-batch live window
 *      (simulated time; a stand-in for the deletion jobs reports due files deleted), on
 *      dynalite with LevelDB on disk: leader heap and snapshot size versus a fresh state of
 *      the same live batches (target: within 10%), recovery time, store bytes, and bytes
 *      written per committed batch (journal vs snapshots: target at most 3x the journal)
 * Run: npm run bench -- log   (HM_BENCH_LOG_BATCHES scales step 2, default 10,000,000)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { manualClock, systemClock, type Clock } from '../../shared/clock';
import { Db, type Item } from '../../shared/dynamo';
import { metadataService, type MetadataService } from '../../services/metadata/service';
import { decodeState } from '../../services/metadata/state-codec';
import type { ClusterRef, CommitFileInput } from '../../services/metadata/types';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { faultHooks } from '../helpers/gate';
import { figure } from './report';
import { runIfMain } from './setup';

const TOPICS = 10;
const PER_TOPIC = 100;
const PARTITIONS = TOPICS * PER_TOPIC;
const HOUR = 3_600_000;

const cluster = (clusterId: string): ClusterRef => ({
  tenantId: 'tnt_bench',
  clusterId,
  regions: ['us-east-1'],
  buckets: [{ region: 'us-east-1', url: 'customer-bucket' }],
  writeQuorum: 1,
  autoCreateTopics: false,
  defaultPartitions: 1,
  defaultRetentionMs: HOUR,
  defaultRetentionBytes: -1,
  producerIdExpirationMs: 7 * 24 * HOUR,
  offsetsRetentionMs: 7 * 24 * HOUR,
  limits: { partitionsPerCluster: 200_000, maxRetentionMs: -1 },
});

function node(db: Db, table: string, id: string, clock: Clock, over: Partial<Parameters<typeof metadataService>[0]> = {}): MetadataService {
  return metadataService({ db, table, clock, nodeId: id, advertisedAddress: `${id}:9443`, leaseMs: HOUR, renewEveryMs: 100, ...over });
}

async function createTopics(svc: MetadataService, ref: ClusterRef, retentionMs: number): Promise<void> {
  for (let t = 0; t < TOPICS; t++) await svc.createTopic(ref, { name: `topic-${t}`, partitions: PER_TOPIC, config: { 'retention.ms': retentionMs } });
}

let fileNo = 0;
/** `batches` batches, two each on random partitions; `producer` makes every other one idempotent. */
function file(batches: number, maxTimestamp: number, producer?: { id: number; seqs: Map<number, number> }): CommitFileInput {
  const fileId = `f-${(fileNo++).toString(36)}`;
  const out = [];
  for (let i = 0; i < batches; i += 2) {
    const p = Math.floor(Math.random() * PARTITIONS);
    for (let j = 0; j < 2 && i + j < batches; j++) {
      const b: CommitFileInput['batches'][number] = { topic: `topic-${p % TOPICS}`, partition: Math.floor(p / TOPICS), byteOffset: (i + j) * 4096, byteLength: 4096, recordCount: 100, maxTimestamp };
      if (producer && j === 0) {
        const seq = producer.seqs.get(p) ?? 0;
        producer.seqs.set(p, (seq + 100) % 2 ** 31);
        Object.assign(b, { producerId: producer.id, producerEpoch: 0, baseSequence: seq });
      }
      out.push(b);
    }
  }
  return { fileId, objectKey: `segments/${fileId}`, sizeBytes: batches * 4096, replicas: [{ region: 'us-east-1', bucket: 'customer-bucket', checksum: `sha256-${fileId}` }], batches: out };
}

function gcFunction(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

/**
 * The memory a leader holds: the process's heap and buffers with it, less after it closed
 * (gracefully: a closed leader has wound down its snapshot and trimming, so nothing in flight
 * keeps its state reachable). `keep` holds what the caller still needs across the measure.
 */
async function leaderHeap(gc: () => void, svc: MetadataService, keep: () => unknown): Promise<number> {
  const withLeader = memory(gc);
  await svc.close();
  await new Promise((r) => setTimeout(r, 500));
  const without = memory(gc);
  void keep();
  return withLeader - without;
}

function memory(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** 1. Plain versus half-idempotent commits, interleaved rounds on two clusters of one leader. */
async function idempotentRatio(d: TestDynamo, report: (name: string, value: number, unit: string, extra?: Record<string, unknown>) => void) {
  const svc = node(d.db, d.tables.metadata, 'idem', systemClock, { leaseMs: 30_000, renewEveryMs: 10_000 });
  const plain = cluster('vci_plain');
  const idem = cluster('vci_idem');
  await createTopics(svc, plain, -1);
  await createTopics(svc, idem, -1);
  const producers = await Promise.all(Array.from({ length: 64 }, async () => ({ id: (await svc.initProducerId(idem, {})).producerId, seqs: new Map<number, number>() })));
  let refused = 0;
  const round = async (ref: ClusterRef, idempotent: boolean, ms: number) => {
    let commits = 0;
    const end = performance.now() + ms;
    await Promise.all(
      producers.map(async (p) => {
        while (performance.now() < end) {
          const r = await svc.commitFile(ref, file(20, Date.now(), idempotent ? p : undefined));
          refused += r.results.filter((x) => 'error' in x).length;
          commits++;
        }
      }),
    );
    return commits;
  };
  await round(plain, false, 1000);
  await round(idem, true, 1000);
  // Many short rounds, alternating which goes first: a shared machine's load drifts within
  // seconds, so each pair's ratio is taken and the median reported.
  const totals = { plain: 0, idem: 0, ms: 0 };
  const ratios: number[] = [];
  for (let r = 0; r < 10; r++) {
    const first = r % 2 === 0;
    const a = first ? await round(plain, false, 1000) : 0;
    const b = await round(idem, true, 1000);
    const c = first ? a : await round(plain, false, 1000);
    totals.plain += c;
    totals.idem += b;
    totals.ms += 1000;
    ratios.push(b / c);
  }
  await svc.close();
  ratios.sort((x, y) => x - y);
  const plainRate = (totals.plain * 1000) / totals.ms;
  const idemRate = (totals.idem * 1000) / totals.ms;
  report('commits_per_s_plain_c64', plainRate, 'commits/s', { batches_per_commit: 20 });
  report('commits_per_s_half_idempotent_c64', idemRate, 'commits/s', { batches_per_commit: 20, idempotent_share: 0.5, refused_batches: refused });
  report('idempotent_to_plain_ratio', (ratios[4] + ratios[5]) / 2, 'ratio (median of 10 pairs)', { target: 0.9, min: ratios[0], max: ratios[9] });
}

/** A Db that adds up the bytes each kind of item puts in the store. */
class CountingDb extends Db {
  readonly written = { journal: 0, snapshot: 0, other: 0, journalItems: 0 };

  override async put(table: string, item: Item, condition?: { expr: string; names?: Record<string, string>; values?: Item }): Promise<boolean> {
    const sk = String(item.sk);
    const data = item.data instanceof Uint8Array ? item.data.length : 0;
    if (sk.startsWith('J#')) {
      this.written.journal += data;
      this.written.journalItems++;
    } else if (sk.startsWith('S#')) this.written.snapshot += data;
    else this.written.other += JSON.stringify(item).length;
    return super.put(table, item, condition);
  }
}

/** Bytes of the cluster's items (keys and attributes, roughly as DynamoDB bills item size). */
async function itemBytes(d: TestDynamo, ref: ClusterRef): Promise<{ items: number; bytes: number }> {
  let items = 0;
  let bytes = 0;
  for await (const it of d.db.queryAll<Item>({ table: d.tables.metadata, keyCondition: 'pk = :pk', values: { ':pk': `T#${ref.tenantId}#C#${ref.clusterId}` } })) {
    items++;
    for (const [k, v] of Object.entries(it)) bytes += k.length + (v instanceof Uint8Array ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : JSON.stringify(v ?? null).length);
  }
  return { items, bytes };
}

const du = (dir: string) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

/** Live batches of a state, from its canonical encoding. */
function liveBatches(bytes: Uint8Array): number {
  return contents(bytes).batches;
}

/** What a state holds: live batches, and files (live, or marked and waiting for deletion). */
function contents(bytes: Uint8Array): { batches: number; files: number; marked: number } {
  const state = decodeState(bytes);
  let batches = 0;
  for (const t of state.topics.values()) for (const p of t.partitions) batches += p.index.length;
  return { batches, files: state.files.size, marked: state.files.pendingCount };
}

/** 2. Ten million batches through a one-hour retention window, then a fresh state of the same size. */
async function steadyState(report: (name: string, value: number, unit: string, extra?: Record<string, unknown>) => void) {
  const total = Number(process.env.HM_BENCH_LOG_BATCHES ?? 10_000_000);
  const perFile = 50;
  const window = total / 10;
  const files = total / perFile;
  const stepMs = HOUR / (window / perFile); // simulated time per committed file: an hour holds `window` batches
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-log-'));
  const d = await startTestDynamo({ dir, prefix: 'bench-' });
  const gc = gcFunction();
  try {
    const db = new CountingDb(d.db.client);
    const clock = manualClock(1_800_000_000_000);
    const log = { maintenanceEveryMs: 100, fileDeleteGraceMs: 5 * 60_000 };
    const ref = cluster('vci_steady');
    let svc = node(db, d.tables.metadata, 'steady-a', clock, { log });
    await createTopics(svc, ref, HOUR);
    let committed = 0;
    let deletedFiles = 0;
    let mid: { store: number; items: number; bytes: number; batches: number } | undefined;
    const started = performance.now();
    // The deletion jobs' stand-in: lists due files and reports them deleted, a page at a time.
    const orchestrate = async () => {
      for (;;) {
        const page = await svc.listDueFiles(ref, { limit: 1000 });
        if (page.items.length === 0) return;
        await svc.recordFilesDeleted(ref, page.items.map((f) => f.fileId));
        deletedFiles += page.items.length;
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        while (next < files) {
          const n = next++;
          clock.advance(stepMs);
          await svc.commitFile(ref, file(perFile, clock.now()));
          committed += perFile;
          if (w === 0 && n % 200 === 0) await orchestrate();
          if (w === 0 && !mid && committed >= total / 2) {
            mid = { store: du(dir), ...(await itemBytes(d, ref)), batches: committed };
          }
        }
      }),
    );
    const loadMs = performance.now() - started;
    // Let retention and the deletion jobs catch up with the last commits.
    await svc.runMaintenance(ref);
    clock.advance(log.fileDeleteGraceMs);
    await orchestrate();
    await svc.runMaintenance(ref);
    // A snapshot being written holds its encoded bytes: measure with none in flight.
    await svc.snapshotNow(ref);
    const state = await svc.exportState(ref);
    const live = liveBatches(state);
    const end = { store: du(dir), ...(await itemBytes(d, ref)) };
    const heap = await leaderHeap(gc, svc, () => state);
    report('steady_committed_batches', committed, 'batches', { live_batches: live, files_deleted: deletedFiles, load_s: Math.round(loadMs / 1000), simulated_hours: Math.round((files * stepMs) / HOUR) });
    report('steady_leader_heap_mb', heap / 1e6, 'MB', { live_batches: live, ...contents(state) });
    report('steady_snapshot_raw_mb', state.length / 1e6, 'MB', { live_batches: live });

    // Recovery at that point, with the longest tail the snapshot rule lets build up: a journal
    // as large as the snapshot (written by a leader that does not snapshot), then a crash.
    const written = { ...db.written };
    // Crashed (not closed) after the tail: recovery must replay it, not find a fresh snapshot.
    const crash = faultHooks();
    const tailer = node(db, d.tables.metadata, 'steady-b', clock, { log, snapshotEveryEntries: 1_000_000, snapshotEveryMs: 100 * HOUR, hooks: crash.hooks });
    const stored = (await d.db.get<{ bytes: number }>(d.tables.metadata, { pk: `T#${ref.tenantId}#C#${ref.clusterId}`, sk: 'SNAP' }))!.bytes;
    let tailFiles = 0;
    while (db.written.journal - written.journal < stored) {
      await Promise.all(Array.from({ length: 64 }, async () => {
        clock.advance(stepMs);
        await tailer.commitFile(ref, file(perFile, clock.now()));
      }));
      tailFiles += 64;
    }
    crash.stopAbruptly();
    clock.advance(2 * HOUR);
    let recovery: Record<string, number> = {};
    const logger = { debug() {}, warn() {}, error() {}, info: (o: object, msg?: string) => void (msg === 'leading cluster' && (recovery = o as Record<string, number>)) };
    svc = node(db, d.tables.metadata, 'steady-c', clock, { log, logger });
    const t0 = performance.now();
    await svc.listTopics(ref);
    report('steady_recovery_ms', performance.now() - t0, 'ms', { replayed_entries: recovery.replayed, tail_files: tailFiles, snapshot_stored_bytes: stored, snapshot_load_ms: recovery.snapshotMs });
    await svc.close();
    Object.assign(db.written, written);

    const journal = db.written.journal;
    report('store_bytes_on_disk_per_live_batch', end.store / live, 'bytes', { store_bytes: end.store, engine: 'dynalite on LevelDB' });
    report('store_item_bytes_per_live_batch', end.bytes / live, 'bytes', { items: end.items, item_bytes: end.bytes });
    if (mid) {
      const grew = { disk: end.store - mid.store, items: end.bytes - mid.bytes, batches: committed - mid.batches };
      report('store_growth_per_committed_batch_second_half', grew.items / grew.batches, 'bytes (items)', { disk_bytes_per_batch: grew.disk / grew.batches, batches: grew.batches, items_then: mid.items, items_now: end.items });
    }
    report('journal_bytes_per_committed_batch', journal / committed, 'bytes', { entries: db.written.journalItems });
    report('written_bytes_per_committed_batch', (journal + db.written.snapshot + db.written.other) / committed, 'bytes', { snapshot_bytes: db.written.snapshot });
    report('write_amplification', (journal + db.written.snapshot + db.written.other) / journal, 'x journal', { target: 3 });

    // The same live batches in a fresh state, in a process of its own (this one's heap still
    // holds what the run left behind): what the steady state's heap and snapshot should match.
    const out = execFileSync(process.execPath, [...process.execArgv, import.meta.filename], { env: { ...process.env, HM_BENCH_LOG_FRESH: String(live) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const fresh = JSON.parse(out.trim().split('\n').pop()!) as { heap: number; snapshot: number; live: number; files: number };
    report('fresh_leader_heap_mb', fresh.heap / 1e6, 'MB', { live_batches: fresh.live, files: fresh.files });
    report('fresh_snapshot_raw_mb', fresh.snapshot / 1e6, 'MB');
    report('steady_to_fresh_heap_ratio', heap / fresh.heap, 'ratio', { target: '0.9..1.1' });
    report('steady_to_fresh_snapshot_ratio', state.length / fresh.snapshot, 'ratio', { target: '0.9..1.1' });
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh state of `live` batches in 50-batch files, on LevelDB: prints its leader's heap and snapshot size. */
async function freshState(live: number): Promise<void> {
  const gc = gcFunction();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-fresh-'));
  const d = await startTestDynamo({ dir, prefix: 'fresh-' });
  try {
    const ref = cluster('vci_fresh');
    const svc = node(d.db, d.tables.metadata, 'fresh', systemClock, { leaseMs: 30_000, renewEveryMs: 10_000 });
    await createTopics(svc, ref, -1);
    let n = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (n < live) {
          const count = Math.min(50, live - n);
          n += count;
          await svc.commitFile(ref, file(count, Date.now()));
        }
      }),
    );
    await svc.snapshotNow(ref);
    const state = await svc.exportState(ref);
    const heap = await leaderHeap(gc, svc, () => state);
    console.log(JSON.stringify({ heap, snapshot: state.length, live: liveBatches(state), ...contents(state) }));
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const report = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) => figure(name, value, unit, { suite: 'log', ...extra });
  const d = await startTestDynamo({ prefix: 'bench-' });
  try {
    console.log('idempotent producers: 64 committers, 20 batches per file, half of them idempotent, against plain commits');
    await idempotentRatio(d, report);
  } finally {
    await d.close();
  }
  console.log('steady state: a one-hour retention window over a stream of 50-batch files (simulated time)');
  await steadyState(report);
}

runIfMain(import.meta, () => (process.env.HM_BENCH_LOG_FRESH ? freshState(Number(process.env.HM_BENCH_LOG_FRESH)) : run()));
