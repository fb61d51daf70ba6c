import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../shared/clock';
import { createDynamoClient, Db } from '../../shared/dynamo';
import { isAppError } from '../../shared/errors';
import type { RegionDirectory } from '../../services/metadata/control-plane';
import type { Placement } from '../../services/metadata/region-policy';
import type { CommitFileResult } from '../../services/metadata/types';
import type { RegionsView } from '../../services/regions/service';
import type { NodeRecord } from '../../services/regions/store';
import { eventually } from '../helpers/harness';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf } from '../helpers/metadata';
import { journalOf, metadataNode, type TestMetadataNode } from '../helpers/metadata-node';
import { RegionLink } from '../sim/region-link';

/**
 * Leadership of a multi-region cluster between two nodes on one store, one in us-east-1 (the
 * cluster's preferred region) and one in us-west-2, each reaching the store through its own
 * region link. The region registry is a table the test sets (which nodes are live, healthy,
 * drained). Moves are hand-overs: no commit fails, nothing acknowledged moves, and the old
 * leader never appends again.
 */
const REGIONS = ['us-east-1', 'us-west-2'];
const cluster = clusterRef({ regions: REGIONS, writeQuorum: 1 });

class Registry implements RegionDirectory {
  nodes: NodeRecord[] = REGIONS.map((region) => ({
    nodeId: `node-${region}`,
    region,
    endpoint: `https://${region}`,
    address: `${region}.internal:9443`,
    startedAt: 0,
    lastSeen: Number.MAX_SAFE_INTEGER,
    storeLatencyMs: 10,
    healthy: true,
    leading: 0,
  }));
  drained = new Set<string>();
  async view(): Promise<RegionsView> {
    return { readAt: Date.now(), nodes: this.nodes.map((n) => ({ ...n })), drained: new Set(this.drained) };
  }
  liveNodes(view: RegionsView, region?: string) {
    return view.nodes.filter((n) => n.lastSeen > Date.now() - 3000 && (region === undefined || n.region === region));
  }
  set(region: string, over: Partial<NodeRecord>) {
    Object.assign(this.nodes.find((n) => n.region === region)!, over);
  }
}

async function setup(t: { after(fn: () => Promise<void>): void }, placement: Partial<Omit<Placement, 'directory' | 'region' | 'nodeId'>> = {}) {
  const d: TestDynamo = await startTestDynamo();
  const port = Number(new URL(d.endpoint).port);
  const registry = new Registry();
  const nodes = new Map<string, { node: TestMetadataNode; link: RegionLink }>();
  for (const region of REGIONS) {
    const link = new RegionLink(region, { host: '127.0.0.1', port });
    await link.listen();
    const client = createDynamoClient({ endpoint: link.url, region: 'us-east-1' });
    const node = metadataNode({ ...d, db: new Db(client) }, `node-${region}`, {
      clock: systemClock,
      advertisedAddress: `${region}.internal:9443`,
      region,
      placement: { directory: registry, leaseMs: 2000, renewEveryMs: 200, latencyBudgetMs: 150, returnAfterMs: 600, ...placement },
    });
    nodes.set(region, { node, link });
    t.after(async () => {
      await node.close();
      client.destroy();
      await link.close();
    });
  }
  t.after(() => d.close());
  const byAddress = new Map(REGIONS.map((r) => [`${r}.internal:9443`, r]));
  const stats = { redirects: 0, errors: [] as string[], acked: [] as { fileId: string; result: CommitFileResult; by: string }[] };
  let target = 'us-east-1';
  let n = 0;
  const files = new Map<string, ReturnType<typeof fileOf>>();
  const other = (region: string) => REGIONS[(REGIONS.indexOf(region) + 1) % REGIONS.length];
  /** What an agent does: send to the leader it knows, follow `not_leader`, fall back to the other region on failures. */
  async function commit(fileId = `f-${++n}`): Promise<CommitFileResult> {
    if (!files.has(fileId)) files.set(fileId, fileOf(fileId, [{ topic: 't', partition: n % 2, recordCount: 2 }], 'us-east-1'));
    const file = files.get(fileId)!;
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        const result = await nodes.get(target)!.node.commitFile(cluster, file);
        stats.acked.push({ fileId, result, by: target });
        return result;
      } catch (e) {
        if (!isAppError(e)) throw e;
        if (e.code === 'not_leader') {
          stats.redirects++;
          const named = byAddress.get(String(e.extra.leader));
          target = named ?? other(target);
          if (!named) await new Promise((r) => setTimeout(r, 50));
        } else if (e.status === 503) {
          stats.errors.push(e.code);
          target = other(target);
          await new Promise((r) => setTimeout(r, 50));
        } else {
          throw e;
        }
      }
    }
    throw new Error(`commit ${fileId} never acknowledged`);
  }
  const leaderIs = async (region: string) => (await commit()) && stats.acked.at(-1)!.by === region;
  const east = nodes.get('us-east-1')!;
  const west = nodes.get('us-west-2')!;
  await east.node.createTopic(cluster, { name: 't', partitions: 2 });
  return { d, registry, east, west, commit, stats, leaderIs };
}

async function underLoad<T>(commit: () => Promise<unknown>, during: () => Promise<T>): Promise<T> {
  let stop = false;
  const writers = Array.from({ length: 4 }, async () => {
    while (!stop) await commit();
  });
  try {
    return await during();
  } finally {
    stop = true;
    await Promise.all(writers);
  }
}

async function assertJournalSound(d: TestDynamo) {
  const journal = await journalOf(d, cluster);
  journal.forEach((e, i) => {
    assert.equal(e.seq, i + 1, 'the journal has no gap');
    if (i > 0) assert.ok(e.epoch >= journal[i - 1].epoch, `entry ${e.seq}: epochs never go down (no two leaders appended)`);
  });
  return journal;
}

test('a free lease goes to the preferred region: the other region names it instead of taking it', async (t) => {
  const { west, east } = await setup(t);
  // setup created the topic through east; west, asked now, names it.
  await assert.rejects(west.node.listTopics(cluster), (e: unknown) => isAppError(e) && e.code === 'not_leader' && e.extra.leader === 'us-east-1.internal:9443');
  // Even once east lets the lease go, west leaves it to the healthy preferred region.
  await east.node.close();
  await assert.rejects(west.node.listTopics(cluster), (e: unknown) => isAppError(e) && e.code === 'not_leader' && e.extra.leader === 'us-east-1.internal:9443');
});

test('drain: leadership moves by hand-over under load, no commit fails, and comes back on undrain', async (t) => {
  const { d, registry, commit, stats, leaderIs } = await setup(t);
  assert.ok(await leaderIs('us-east-1'));
  await underLoad(commit, async () => {
    registry.drained.add('us-east-1');
    await eventually(() => leaderIs('us-west-2'), 20_000);
    registry.drained.delete('us-east-1');
    await eventually(() => leaderIs('us-east-1'), 20_000);
  });
  assert.deepEqual(stats.errors, [], 'only not_leader redirects, never a failure');
  assert.ok(stats.redirects > 0);
  const journal = await assertJournalSound(d);
  assert.ok(journal.at(-1)!.epoch >= 3, 'east, west, east again: three leaderships');
  // Every acknowledged commit kept its offsets; retrying one through either node answers them again.
  const first = stats.acked[0];
  const again = await commit(first.fileId);
  assert.equal(again.duplicate, true);
  assert.deepEqual(again.results, first.result.results);
});

test('a leader whose store round trips degrade steps down to the healthy region, and takes it back once it is well again', async (t) => {
  const { d, registry, east, commit, stats, leaderIs } = await setup(t);
  assert.ok(await leaderIs('us-east-1'));
  await underLoad(commit, async () => {
    east.link.setLatency(300, 320);
    // The registry reports what east's own beats would: its round trips are over budget.
    registry.set('us-east-1', { healthy: false, storeLatencyMs: 310 });
    await eventually(() => leaderIs('us-west-2'), 20_000);
    east.link.setLatency(0);
    registry.set('us-east-1', { healthy: true, storeLatencyMs: 5 });
    await eventually(() => leaderIs('us-east-1'), 20_000);
  });
  assert.deepEqual(stats.errors, [], 'the step-down and the return are hand-overs: no commit failed');
  await assertJournalSound(d);
});

test('hard failure: the preferred region\'s leader dies; the other region takes the expired lease, even while the registry still shows the dead node', async (t) => {
  const { d, east, commit, stats, leaderIs } = await setup(t);
  assert.ok(await leaderIs('us-east-1'));
  stats.errors.length = 0;
  east.node.stopAbruptly();
  east.link.cut();
  const before = stats.acked.length;
  const began = Date.now();
  await commit();
  assert.equal(stats.acked.at(-1)!.by, 'us-west-2');
  t.diagnostic(`recovered in ${Date.now() - began} ms`);
  assert.equal(stats.acked.length, before + 1);
  await assertJournalSound(d);
});
