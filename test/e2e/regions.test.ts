import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/harness';
import { callAny } from '../sim/region-cluster';
import { RegionLayout } from '../sim/region-layout';
import { runScenario, type ScenarioName, type ScenarioResult } from '../sim/region-scenarios';

/**
 * Region outages end to end: three regions (a node process, a store link and a bucket each) on
 * one store, producers behind agents in every region, a fault mid-stream, then everything read
 * back from the surviving buckets. Each scenario asserts the invariants, not timings: nothing
 * acknowledged is lost, nothing is written twice, offsets stay contiguous, no two leaders
 * acknowledge, and the cluster accepts commits again (within a deadline generous enough for a
 * busy machine; the recovery budget itself is measured by `npm run bench -- regions`).
 */
let layout: RegionLayout;
// A layout of four processes and a scenario of half a minute: far beyond the default on a busy machine.
const TIMEOUT = { timeout: 600_000 };
before(async () => {
  // These scenarios do not test soft failures: a generous health budget keeps a busy machine's
  // latency spikes from making healthy regions look sick (the bench runs the defaults).
  // The cluster view's counts come from the leader's maintenance passes: every second here.
  layout = await RegionLayout.start({ env: { HM_STORE_LATENCY_BUDGET_MS: '1000', HM_LEADER_LATENCY_BUDGET_MS: '2000', HM_MAINTENANCE_EVERY_MS: '1000' } });
}, TIMEOUT);
after(async () => {
  await layout?.close();
}, TIMEOUT);

async function scenario(t: { diagnostic(msg: string): void }, name: ScenarioName, inspect?: Parameters<typeof runScenario>[2]['inspect']): Promise<ScenarioResult> {
  const r = await runScenario(layout, name, { latency: true, recoveryDeadlineMs: 60_000, log: (l) => t.diagnostic(l), inspect });
  t.diagnostic(`${name}: ${r.acknowledgedRecords} records acknowledged, ${r.lostRecords} lost, ${r.duplicateRecords} duplicates, recovery ${r.recoveryMs} ms, leader ${r.leaderBefore} -> ${r.leaderAfter}`);
  assert.deepEqual(r.violations, [], 'no invariant broken');
  assert.ok(r.acknowledgedRecords > 0, 'records were acknowledged');
  assert.equal(r.lostRecords, 0, 'every acknowledged record is read back, byte for byte');
  assert.equal(r.duplicateRecords, 0, 'no record is in the log twice');
  assert.notEqual(r.recoveryMs, null, 'the cluster accepts commits again');
  return r;
}

test('scenario 1: the leader region is lost mid-stream (node killed, link cut, bucket gone)', TIMEOUT, async (t) => {
  let replication: { filesMissingReplicas: number; missingByRegion: Record<string, number> } | undefined;
  const r = await scenario(t, 'leader-loss', async (cluster) => {
    // The read-back found the lost region's copies gone and reported them; the leader's next
    // maintenance pass counts them, and the cluster view (any node) shows them.
    replication = await eventually(async () => {
      const view = await callAny(layout, 'GET', `/v1/clusters/${cluster.clusterId}`, cluster.tenantKey);
      return view.replication?.filesMissingReplicas > 0 ? view.replication : undefined;
    }, 30_000);
  });
  assert.notEqual(r.leaderAfter, r.faultRegion, 'leadership left the lost region');
  assert.ok(r.replicasReported > 0, 'the lost region\'s copies were reported missing');
  assert.ok(replication, 'the cluster view shows the replication state');
  assert.ok(replication.filesMissingReplicas > 0, 'files that lost a replica are due for re-replication');
  assert.deepEqual(Object.keys(replication.missingByRegion), [r.faultRegion], 'only the lost region\'s copies are missing');
});

test('scenario 3: the leader is partitioned from the store; it stops acknowledging at once and another region leads', TIMEOUT, async (t) => {
  const r = await scenario(t, 'partition');
  // runScenario also checks that no commit sent after the cut was acknowledged by the cut-off
  // node, and that the journal's epochs never go down (no two leaders appended).
  assert.notEqual(r.leaderAfter, null);
  assert.notEqual(r.leaderAfter, r.faultRegion, 'leadership left the partitioned region');
  // Its link restored, the partitioned node is a live member of its region again.
  const admin = await layout.adminToken();
  await eventually(async () => (await callAny(layout, 'GET', '/admin/v1/regions', admin)).items.find((x: { region: string }) => x.region === r.faultRegion)?.liveNodes === 1, 30_000);
});

test('scenario 6: the leader region is drained under load; leadership moves by hand-over with no failed commit, and returns on undrain', TIMEOUT, async (t) => {
  const r = await scenario(t, 'drain');
  assert.notEqual(r.leaderBefore, null);
  assert.equal(r.failedCommits, 0, 'no commit failed');
  assert.equal(r.failedAttempts, 0, 'no attempt met a timeout or an error: only not_leader redirects');
});
