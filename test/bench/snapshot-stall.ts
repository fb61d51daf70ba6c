/**
 * The longest event-loop stall while a leader at 1,000,000 batches snapshots, under load
 * (8 committers and a 1 ms timer running), measured with perf_hooks.monitorEventLoopDelay:
 *   - none:     the same load, no snapshot (the machine's noise floor)
 *   - one-pass: the state encoded in one synchronous pass (what the snapshotter did before:
 *               encodeState on the event loop, then deflate and write)
 *   - capture:  snapshotNow as the snapshotter does it now (copy-on-write capture, sliced
 *               encode, streaming deflate on the pool)
 * On a shared machine the wall-clock stall includes time the OS gave other processes; each
 * mode also reports the longest stretch of the event loop's own CPU time between two ticks of
 * a 1 ms timer (the main thread's /proc schedstat, Linux only): the longest task as this
 * process ran it, whatever the machine's load.
 * Run: npm run bench -- snapshot-stall   (HM_STALL_MODES=none,one-pass,capture picks modes)
 */
import { existsSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { snapshotStore } from '../../services/metadata/snapshot-store';
import { clusterPk } from '../../shared/keys';
import { startTestDynamo } from '../helpers/dynamo';
import { benchFile, cluster, createTopics, node } from './sequencer';
import { runIfMain } from './setup';

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** Nanoseconds the main thread has run on a CPU, or NaN where /proc does not tell. */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const mainThreadCpuNs = existsSync(SCHEDSTAT) ? () => Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) : () => NaN;

/**
 * Longest main-thread CPU time between two ticks of a 1 ms timer, from start() to stop(). The
 * kernel updates a running thread's schedstat late on a loaded machine, and once showed 112 ms
 * of CPU in 6 ms of wall time: a stretch counts at most the wall time it spanned.
 */
function cpuStallMonitor() {
  let last = mainThreadCpuNs();
  let lastWall = performance.now();
  let max = 0;
  const tick = setInterval(() => {
    const now = mainThreadCpuNs();
    const wall = performance.now();
    max = Math.max(max, Math.min(now - last, (wall - lastWall) * 1e6));
    last = now;
    lastWall = wall;
  }, 1);
  return { stop: () => (clearInterval(tick), max / 1e6) };
}

export async function run(print: (line: string) => void = console.log): Promise<void> {
  const d = await startTestDynamo({ prefix: 'bench-' });
  const ref = cluster('vci_stall');
  const leader = node(d, 'bench-stall', { snapshotEveryEntries: 1_000_000_000, snapshotEveryMs: 3_600_000_000 });
  try {
    await createTopics(leader, ref);
    let committed = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (committed < 50_000) {
        committed++;
        await leader.commitFile(ref, benchFile());
      }
    }));
    const bytes = (await leader.exportState(ref)).length;
    print(`state: 1,000,000 batches in 50,000 files (${(bytes / 1e6).toFixed(1)} MB encoded)`);

    // Background load for the whole measurement: 8 committers and a 1 ms timer.
    let loading = true;
    let loadCommits = 0;
    const committers = Promise.all(Array.from({ length: 8 }, async () => {
      while (loading) {
        await leader.commitFile(ref, benchFile());
        loadCommits++;
      }
    }));
    const ticker = setInterval(() => undefined, 1);

    const measure = async (label: string, action: () => Promise<unknown>, rounds: number) => {
      const h = monitorEventLoopDelay({ resolution: 1 });
      const commitsBefore = loadCommits;
      const started = performance.now();
      const cpu = cpuStallMonitor();
      h.enable();
      for (let i = 0; i < rounds; i++) {
        await action();
        await new Promise((r) => setTimeout(r, 200));
      }
      h.disable();
      const cpuMax = cpu.stop();
      const seconds = (performance.now() - started) / 1000;
      const maxMs = h.max / 1e6;
      const p99 = h.percentile(99) / 1e6;
      print(`${label}: longest stall ${round(maxMs)} ms (longest main-thread CPU between ticks ${round(cpuMax)} ms), p99 delay ${round(p99)} ms over ${rounds} rounds; ${Math.round((loadCommits - commitsBefore) / seconds)} commits/s alongside`);
      print(JSON.stringify({ bench: 'snapshot-stall', figure: 'event_loop_stall_ms', mode: label, value: round(maxMs), unit: 'ms', p99_ms: round(p99, 2), cpu_stall_ms: round(cpuMax), batches: 1_000_000, commits_per_s: Math.round((loadCommits - commitsBefore) / seconds) }));
      return maxMs;
    };
    const modes = process.env.HM_STALL_MODES?.split(',') ?? ['none', 'one-pass', 'capture'];
    if (modes.includes('none')) await measure('none', () => new Promise((r) => setTimeout(r, 500)), 3);
    // The previous snapshotter's work: one synchronous encode, then deflate and chunk writes
    // (to another key, so that the store does not refuse it as older than the latest).
    const store = snapshotStore(d.db, d.tables.metadata);
    let oldSeq = 0;
    const before = !modes.includes('one-pass') ? NaN : await measure('one-pass', async () => {
      const bytes = await leader.exportState(ref);
      await store.write(clusterPk('tnt_bench', 'vci_stall_one_pass'), ++oldSeq, bytes, { chunkBytes: 350_000, createdAt: Date.now() });
    }, 3);
    let snapTotal = 0;
    const after = !modes.includes('capture') ? NaN : await measure('capture', async () => {
      const t = performance.now();
      await leader.snapshotNow(ref);
      snapTotal += performance.now() - t;
    }, 3);
    print(`snapshot stall: ${round(before)} ms one-pass → ${round(after)} ms captured (${round(before / Math.max(after, 0.001))}x shorter); a captured snapshot took ${Math.round(snapTotal / 3)} ms end to end`);
    loading = false;
    clearInterval(ticker);
    await committers;
  } finally {
    await leader.close();
    await d.close();
  }
}

runIfMain(import.meta, () => run());
