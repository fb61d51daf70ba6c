import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIERS, TIER_NAMES, tierAtMost } from '../../services/tiers/catalogue';
import { effectiveLimits, withinLimit } from '../../services/tiers/limits';

test('tiers: ordered, partition limits as designed, multi-region only on enterprise', () => {
  assert.deepEqual(TIER_NAMES.map((n) => TIERS[n].rank), [0, 1, 2, 3]);
  assert.deepEqual(TIER_NAMES.map((n) => TIERS[n].limits.partitionsPerCluster), [4096, 16_384, 50_000, 200_000]);
  assert.deepEqual(TIER_NAMES.map((n) => TIERS[n].slaPercent), [null, 99.9, 99.99, 99.999]);
  assert.deepEqual(TIER_NAMES.filter((n) => TIERS[n].multiRegion), ['enterprise']);
  assert.ok(tierAtMost('dev', 'pro') && !tierAtMost('enterprise', 'pro'));
});

test('limits: overrides replace tier values; -1 is unlimited', () => {
  assert.equal(effectiveLimits('dev', { clustersPerTenant: 9 }).clustersPerTenant, 9);
  assert.equal(effectiveLimits('dev', {}).partitionsPerCluster, 4096);
  assert.ok(withinLimit(10 ** 12, -1));
  assert.ok(!withinLimit(11, 10));
});
