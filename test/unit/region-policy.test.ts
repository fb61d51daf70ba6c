import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaderWatch, mayTake, type Placement } from '../../services/metadata/region-policy';
import { preferredRegion } from '../../services/metadata/control-plane';
import type { Lease } from '../../services/metadata/lease-store';
import type { RegionsView } from '../../services/regions/service';
import type { NodeRecord } from '../../services/regions/store';

/** Where a multi-region cluster's leadership belongs, decided from the region registry alone. */

const NOW = 1_800_000_000_000;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

function node(region: string, over: Partial<NodeRecord> = {}): NodeRecord {
  return { nodeId: `n-${region}`, region, endpoint: `https://${region}`, address: `http://${region}.node`, startedAt: 0, lastSeen: NOW, storeLatencyMs: 100, healthy: true, leading: 0, ...over };
}

function view(nodes: NodeRecord[], drained: string[] = []): RegionsView {
  return { readAt: NOW, nodes, drained: new Set(drained) };
}

function placement(region: string, over: Partial<Placement> = {}): Placement {
  return {
    directory: { view: async () => view([]), liveNodes: (v, r) => v.nodes.filter((n) => n.lastSeen >= NOW - 3000 && (r === undefined || n.region === r)) },
    region,
    nodeId: `n-${region}`,
    leaseMs: 2000,
    renewEveryMs: 500,
    latencyBudgetMs: 400,
    returnAfterMs: 5000,
    ...over,
  };
}

const lease = (over: Partial<Lease>): Lease => ({ holder: null, holderAddress: null, holderRegion: null, incarnation: null, epoch: 3, expiresAt: 0, ...over });
const all = () => REGIONS.map((r) => node(r));

test('taking a free lease: the best-ranked region with a healthy node leads; others name it', () => {
  assert.deepEqual(mayTake(placement('us-east-1'), REGIONS, undefined, view(all()), NOW), { take: true }, 'the first region takes a new cluster');
  assert.deepEqual(mayTake(placement('eu-west-1'), REGIONS, undefined, view(all()), NOW), { take: false, leader: 'http://us-east-1.node' });
  assert.deepEqual(mayTake(placement('us-west-2'), REGIONS, lease({}), view(all()), NOW), { take: false, leader: 'http://us-east-1.node' }, 'a released lease too');
  const sick = [node('us-east-1', { healthy: false }), node('us-west-2'), node('eu-west-1')];
  assert.deepEqual(mayTake(placement('eu-west-1'), REGIONS, undefined, view(sick), NOW), { take: false, leader: 'http://us-west-2.node' }, 'an unhealthy region is skipped');
  assert.deepEqual(mayTake(placement('us-west-2'), REGIONS, undefined, view(sick), NOW), { take: true });
  const silent = [node('us-east-1', { lastSeen: NOW - 10_000 }), node('us-west-2'), node('eu-west-1')];
  assert.deepEqual(mayTake(placement('us-west-2'), REGIONS, undefined, view(silent), NOW), { take: true }, 'a silent node does not count');
  assert.deepEqual(mayTake(placement('eu-west-1'), REGIONS, undefined, view([]), NOW), { take: true }, 'with no registry, anyone leads (one region, tests)');
});

test('taking an expired lease: the lost holder\'s region does not count, however fresh its last beat', () => {
  const expired = lease({ holder: 'n-us-east-1', holderRegion: 'us-east-1', holderAddress: 'http://us-east-1.node', expiresAt: NOW - 1 });
  assert.deepEqual(mayTake(placement('us-west-2'), REGIONS, expired, view(all()), NOW), { take: true });
  assert.deepEqual(mayTake(placement('eu-west-1'), REGIONS, expired, view(all()), NOW), { take: false, leader: 'http://us-west-2.node' });
});

test('drained regions: never preferred, never take while another region can', () => {
  assert.equal(preferredRegion(REGIONS, view(all(), ['us-east-1'])), 'us-west-2');
  assert.deepEqual(mayTake(placement('us-east-1'), REGIONS, undefined, view(all(), ['us-east-1']), NOW), { take: false, leader: 'http://us-west-2.node' });
  assert.deepEqual(mayTake(placement('us-west-2'), REGIONS, undefined, view(all(), ['us-east-1']), NOW), { take: true });
  const onlyDrained = [node('us-east-1')];
  assert.deepEqual(mayTake(placement('us-east-1'), REGIONS, undefined, view(onlyDrained, ['us-east-1']), NOW), { take: true }, 'when no other region can, a drained one still leads');
});

test('a leader hands over at once when drained or degraded, and back to a better region only after it stayed healthy', () => {
  const east = new LeaderWatch(placement('us-east-1'), REGIONS);
  assert.equal(east.check(view(all()), NOW, false), undefined, 'the best region stays');
  assert.deepEqual(east.check(view(all(), ['us-east-1']), NOW, false), { to: node('us-west-2'), reason: 'drained' });
  assert.deepEqual(east.check(view(all()), NOW, true), { to: node('us-west-2'), reason: 'degraded' });
  const othersSick = [node('us-east-1'), node('us-west-2', { healthy: false }), node('eu-west-1', { healthy: false })];
  assert.equal(east.check(view(othersSick), NOW, true), undefined, 'a degraded leader stays when no other region is healthy');

  const west = new LeaderWatch(placement('us-west-2'), REGIONS);
  assert.equal(west.check(view(all()), NOW, false), undefined, 'a better region just seen healthy: not yet');
  assert.equal(west.check(view(all()), NOW + 4999, false), undefined);
  assert.deepEqual(west.check(view(all()), NOW + 5000, false), { to: node('us-east-1'), reason: 'preferred' }, 'healthy for returnAfterMs: hand back');
  const flapping = new LeaderWatch(placement('us-west-2'), REGIONS);
  flapping.check(view(all()), NOW, false);
  flapping.check(view([node('us-east-1', { healthy: false }), node('us-west-2')]), NOW + 3000, false);
  assert.equal(flapping.check(view(all()), NOW + 6000, false), undefined, 'a blip of ill health restarts the wait');
  assert.deepEqual(flapping.check(view(all()), NOW + 11_000, false), { to: node('us-east-1'), reason: 'preferred' });
  const busy = [node('us-east-1', { nodeId: 'a', leading: 9 }), node('us-east-1', { nodeId: 'b', leading: 2 }), node('us-west-2')];
  assert.equal(new LeaderWatch(placement('us-west-2'), REGIONS).check(view(busy), NOW, true)?.to.nodeId, 'b', 'the least busy node of a region is chosen');
});
