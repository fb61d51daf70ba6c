import { RegionLayout } from '../sim/region-layout';
import { runScenario, SCENARIOS, type ScenarioName, type ScenarioResult } from '../sim/region-scenarios';
import { percentile } from './report';
import { runIfMain } from './setup';

/**
 * `npm run bench -- regions`: the region-outage bench. Every scenario runs
 * HM_BENCH_REGION_RUNS times (default 10) on one three-region layout, half of the runs with the
 * seed's cross-region latency (80–100 ms on every store round trip) and half without, each on a
 * fresh cluster whose preferred region and fault moment are random. Per scenario it prints the
 * records acknowledged, lost (must be 0) and duplicated, recovery time p50/max (fault to the
 * first commit acknowledged after it) and commit latency p50/p99 with and without the
 * cross-region latency. HM_BENCH_REGION_SCENARIOS narrows the scenarios (comma-separated).
 */
const runs = Number(process.env.HM_BENCH_REGION_RUNS ?? 10);
const only = process.env.HM_BENCH_REGION_SCENARIOS?.split(',').filter(Boolean);

const fmt = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

export async function run(): Promise<boolean> {
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s));
  const layout = await RegionLayout.start();
  const results = new Map<ScenarioName, ScenarioResult[]>();
  let clean = true;
  try {
    for (const scenario of scenarios) {
      const mine: ScenarioResult[] = [];
      results.set(scenario, mine);
      for (let i = 0; i < runs; i++) {
        const began = performance.now();
        const r = await runScenario(layout, scenario, { latency: i % 2 === 0, run: i });
        mine.push(r);
        const ok = r.violations.length === 0;
        clean &&= ok;
        console.log(
          `  ${scenario} #${i + 1} (${r.latency ? '80–100 ms' : 'no'} cross-region latency): ${r.acknowledgedRecords} acked, ${r.lostRecords} lost, ${r.duplicateRecords} dup, recovery ${fmt(r.recoveryMs ?? undefined)}, ` +
            `leader ${r.leaderBefore} → ${r.leaderAfter}, failed commits ${r.failedCommits}, ${((performance.now() - began) / 1000).toFixed(0)} s${ok ? '' : `\n    VIOLATIONS: ${r.violations.slice(0, 5).join('; ')}`}`,
        );
      }
      report(scenario, mine);
    }
  } finally {
    await layout.close();
  }
  console.log('\n| scenario | acked records | lost | duplicates | recovery p50 / max | commit p50 / p99 (80–100 ms) | commit p50 / p99 (none) | failed commits (attempts) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [scenario, rs] of results) {
    const s = summary(rs);
    console.log(
      `| ${scenario} | ${s.acked} | ${s.lost} | ${s.duplicates} | ${fmt(s.recoveryP50)} / ${fmt(s.recoveryMax)} | ${fmt(s.withP50)} / ${fmt(s.withP99)} | ${fmt(s.withoutP50)} / ${fmt(s.withoutP99)} | ${s.failed} (${s.failedAttempts}) |`,
    );
  }
  if (!clean) console.log('\nSOME RUNS BROKE AN INVARIANT (see VIOLATIONS above)');
  return clean;
}

function summary(rs: ScenarioResult[]) {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const recoveries = sorted(rs.map((r) => r.recoveryMs).filter((x): x is number => x !== null));
  const withL = sorted(rs.filter((r) => r.latency).flatMap((r) => r.commitLatenciesMs));
  const withoutL = sorted(rs.filter((r) => !r.latency).flatMap((r) => r.commitLatenciesMs));
  return {
    acked: rs.reduce((n, r) => n + r.acknowledgedRecords, 0),
    lost: rs.reduce((n, r) => n + r.lostRecords, 0),
    duplicates: rs.reduce((n, r) => n + r.duplicateRecords, 0),
    failed: rs.reduce((n, r) => n + r.failedCommits, 0),
    failedAttempts: rs.reduce((n, r) => n + r.failedAttempts, 0),
    p50BeforeFault: percentile(sorted(rs.map((r) => r.commitP50BeforeMs).filter((x): x is number => x !== null)), 50),
    p50AfterRecovery: percentile(sorted(rs.map((r) => r.commitP50AfterMs).filter((x): x is number => x !== null)), 50),
    recoveryP50: percentile(recoveries, 50),
    recoveryMax: recoveries.at(-1),
    withP50: percentile(withL, 50),
    withP99: percentile(withL, 99),
    withoutP50: percentile(withoutL, 50),
    withoutP99: percentile(withoutL, 99),
  };
}

function report(scenario: ScenarioName, rs: ScenarioResult[]) {
  const s = summary(rs);
  console.log(
    `${scenario}: ${s.acked} records acknowledged, ${s.lost} lost, ${s.duplicates} duplicates, recovery p50 ${fmt(s.recoveryP50)} max ${fmt(s.recoveryMax)}, ${s.failed} failed commits; ` +
      `commit p50 before the fault ${fmt(s.p50BeforeFault)}, after recovery ${fmt(s.p50AfterRecovery)} (medians over runs)`,
  );
  console.log(JSON.stringify({ bench: `regions.${scenario}`, runs: rs.length, ...s, violations: rs.reduce((n, r) => n + r.violations.length, 0) }));
}

runIfMain(import.meta, async () => {
  if (!(await run())) throw new Error('some runs broke an invariant');
});
