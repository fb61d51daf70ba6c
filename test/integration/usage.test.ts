import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { price, type UsageItem } from '../../services/usage/model';
import { clusterBucket, eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { ReferenceAgent } from '../sim/agent';
import { LocalBucket } from '../sim/bucket';
import { produceFile } from '../sim/producer';

// Real engines; the meter is flushed and the roll-up run by hand instead of waiting for their timers.
let h: Harness;
let url: string;
let bucketDir: string;
before(async () => {
  h = await startHarness({ env: { HM_USAGE_FLUSH_MS: '3600000' } });
  url = await h.listen();
  bucketDir = mkdtempSync(path.join(os.tmpdir(), 'hm-usage-'));
});
after(async () => {
  await h.close();
  rmSync(bucketDir, { recursive: true, force: true });
});

async function tenantWithTraffic(name: string, tier = 'pro') {
  const { key, tenant } = await h.createTenant(tier, name);
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name.toLowerCase()) });
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  const ak = (await h.request('POST', `/v1/clusters/${c.body.id}/agent-keys`, { token: key, body: { name: 'k', access: 'read-write' } })).body.secret;
  assert.equal((await h.request('POST', `/v1/clusters/${c.body.id}/topics`, { token: key, body: { name: 'orders', partitions: 3 } })).status, 201);
  const agent = new ReferenceAgent({ baseUrl: url, agentKey: ak, agentId: `${name}-1` });
  await agent.register();
  for (let i = 0; i < 3; i++) await agent.heartbeat({ openConnections: 1 });
  const bucket = new LocalBucket(path.join(bucketDir, name), 'us-east-1', clusterBucket(name.toLowerCase()));
  const first = await produceFile(agent, bucket, [{ topic: 'orders', partition: 0, records: 10 }, { topic: 'orders', partition: 1, records: 5 }]);
  const second = await produceFile(agent, bucket, [{ topic: 'orders', partition: 2, records: 7 }]);
  // A retried commit (same file) writes nothing and is not counted again.
  await agent.commitFile(first.body);
  await agent.fetchPlan({ partitions: [{ topic: 'orders', partition: 0, offset: 0, maxBytes: 1 << 20 }], maxBytes: 1 << 20 });
  const batches = [...first.body.batches, ...second.body.batches];
  return {
    key,
    tenantId: tenant.id as string,
    clusterId: c.body.id as string,
    expect: {
      bytesWritten: batches.reduce((s, b) => s + b.byteLength, 0),
      recordsWritten: 22,
      storageBytes: first.body.sizeBytes + second.body.sizeBytes,
      partitionsMax: 3,
      agentHours: Math.round(((3 * h.config.agents.heartbeatIntervalMs) / 3600_000) * 1e6) / 1e6,
    },
  };
}

async function flushAndRollUp() {
  h.runtime.meter.sample(await h.runtime.services.metadata.usageSample());
  await h.runtime.meter.flush();
  return h.runtime.usageRollup();
}

const range = () => ({ from: new Date(Date.now() - 2 * 3600_000).toISOString(), to: new Date(Date.now() + 2 * 3600_000).toISOString() });
const sum = (items: UsageItem[], k: keyof UsageItem) => items.reduce((s, i) => s + (i[k] as number), 0);

test('commits, storage, partitions, heartbeats and metadata requests become priced hourly and daily items', async () => {
  const t = await tenantWithTraffic('Metered');
  const out = await flushAndRollUp();
  assert.ok(out.hourItems >= 1 && out.dayItems >= 1, JSON.stringify(out));
  const { from, to } = range();
  const hourly = await h.request('GET', `/v1/usage?from=${from}&to=${to}&granularity=hour`, { token: t.key });
  assert.equal(hourly.status, 200, hourly.text);
  const items: UsageItem[] = hourly.body.items;
  assert.ok(items.length >= 1 && items.every((i) => i.clusterId === t.clusterId && i.tenantId === t.tenantId && i.granularity === 'hour' && i.hours === 1));
  assert.equal(sum(items, 'bytesWritten'), t.expect.bytesWritten);
  assert.equal(sum(items, 'recordsWritten'), t.expect.recordsWritten);
  assert.equal(Math.max(...items.map((i) => i.partitionsMax)), t.expect.partitionsMax);
  assert.equal(Math.max(...items.map((i) => i.storageBytes)), t.expect.storageBytes);
  assert.ok(Math.abs(sum(items, 'agentHours') - t.expect.agentHours) < 1e-6, `${sum(items, 'agentHours')}`);
  // Topic create + 2 commits + the retry + one fetch plan.
  assert.equal(sum(items, 'metadataRequests'), 5);
  for (const i of items) {
    assert.deepEqual(i.cost, price(i, 'pro').cost, 'priced with the pro tier');
    assert.equal(i.tier, 'pro');
    assert.ok(i.cost.totalMicroUsd > 0);
  }
  const daily = await h.request('GET', `/v1/usage?from=${from.slice(0, 10)}&to=${to}&granularity=day`, { token: t.key });
  assert.equal(sum(daily.body.items, 'bytesWritten'), t.expect.bytesWritten);
  assert.equal(sum(daily.body.items, 'recordsWritten'), t.expect.recordsWritten);
  assert.equal(daily.body.items.reduce((s: number, i: UsageItem) => s + i.cost.totalMicroUsd, 0), items.reduce((s, i) => s + i.cost.totalMicroUsd, 0), 'a day costs what its hours cost');
  assert.ok(daily.body.items.every((i: UsageItem) => i.hours === 24));

  // Nothing new: the roll-up rewrites nothing and the answers stay the same.
  const again = await flushAndRollUp();
  assert.deepEqual([again.hourItems, again.dayItems], [0, 0]);
  assert.deepEqual((await h.request('GET', `/v1/usage?from=${from}&to=${to}&granularity=hour`, { token: t.key })).body, hourly.body);

  // The CSV export holds the same rows.
  const csv = await h.request('GET', `/v1/usage?from=${from}&to=${to}&granularity=hour&format=csv`, { token: t.key });
  assert.equal(csv.status, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.match(String(csv.headers['content-disposition']), /^attachment; filename="usage-hour-/);
  const rows = csv.text.trim().split('\r\n');
  assert.equal(rows[0], 'tenant_id,cluster_id,granularity,period_start,hours,bytes_written,records_written,storage_bytes_avg,storage_byte_hours,partitions_max,partition_hours,agent_hours,metadata_requests,tier,catalogue_version,cost_usd');
  assert.equal(rows.length, items.length + 1);
  assert.equal(rows[1].split(',')[5], String(items[0].bytesWritten));
  assert.equal(rows[1].split(',')[15], (items[0].cost.totalMicroUsd / 1e6).toFixed(6));
});

test('staff see every tenant (page by page), or one; customers only their own; refusals are clear', async () => {
  const a = await tenantWithTraffic('Alpha');
  const b = await tenantWithTraffic('Beta', 'enterprise');
  await flushAndRollUp();
  const { from, to } = range();
  const admin = await h.adminToken(['viewer']);
  const seen: UsageItem[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await h.request('GET', `/admin/v1/usage?from=${from}&to=${to}&granularity=hour&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: admin });
    assert.equal(page.status, 200, page.text);
    assert.ok(page.body.items.length <= 1);
    seen.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  for (const t of [a, b]) assert.ok(seen.some((i) => i.tenantId === t.tenantId && i.clusterId === t.clusterId), `${t.tenantId} not in ${JSON.stringify(seen.map((i) => [i.tenantId, i.periodStart]))} (range ${from}..${to})`);
  assert.ok(seen.find((i) => i.tenantId === b.tenantId)!.tier === 'enterprise');
  const onlyB = await h.request('GET', `/admin/v1/usage?from=${from}&to=${to}&granularity=day&tenantId=${b.tenantId}`, { token: admin });
  assert.ok(onlyB.body.items.length > 0 && onlyB.body.items.every((i: UsageItem) => i.tenantId === b.tenantId));
  const acrossCsv = await h.request('GET', `/admin/v1/usage?from=${from}&to=${to}&format=csv`, { token: admin });
  assert.ok(acrossCsv.text.includes(a.tenantId) && acrossCsv.text.includes(b.tenantId));

  // A customer sees only its own clusters, even when it names another tenant's cluster.
  const mine = await h.request('GET', `/v1/usage?from=${from}&to=${to}&clusterId=${b.clusterId}`, { token: a.key });
  assert.deepEqual(mine.body.items, []);
  const narrow = await h.request('POST', '/v1/api-keys', { token: a.key, body: { name: 'no-usage', scopes: ['clusters:read'] } });
  assert.equal((await h.request('GET', `/v1/usage?from=${from}&to=${to}`, { token: narrow.body.secret })).body.code, 'insufficient_scope');
  const cases: [string, number, string][] = [
    [`/v1/usage?from=${to}&to=${from}`, 400, 'invalid_range'],
    // Reversed within one day: rounding to whole days must not turn it into a valid range.
    ['/v1/usage?from=2026-01-01T10:00:00Z&to=2026-01-01T09:00:00Z', 400, 'invalid_range'],
    ['/v1/usage?from=2026-01-01&to=2026-03-01&granularity=hour', 400, 'range_too_long'],
    ['/v1/usage?from=not-a-date-at-all&to=2026-03-01', 400, 'invalid_range'],
    ['/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&granularity=minute', 400, 'invalid_query'],
    ['/v1/usage?to=2026-01-02', 400, 'invalid_query'],
    [`/v1/usage?from=${from}&to=${to}&cursor=abc.def`, 400, 'invalid_cursor'],
  ];
  for (const [u, status, code] of cases) {
    const r = await h.request('GET', u, { token: a.key });
    assert.equal(r.status, status, `${u}: ${r.text}`);
    assert.equal(r.body.code, code, u);
  }
});
