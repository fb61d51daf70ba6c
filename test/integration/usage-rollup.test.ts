import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { createLogger } from '../../shared/logger';
import { usageMeter } from '../../services/usage/meter';
import { usageRollup } from '../../services/usage/rollup';
import { usageStore } from '../../services/usage/store';
import { price } from '../../services/usage/model';
import { startTestDynamo } from '../helpers/dynamo';
import { usageService } from '../../services/usage/service';
import { cursorCodec } from '../../shared/cursor';

const T = 'tnt_01jd4v7m2q8x3k5n6p7r8s9t0a';
const C = 'vci_01jd4v7m2q8x3k5n6p7r8s9t0a';
const logger = createLogger('silent');

test('meter and roll-up on a moving clock: hours close and leave memory, repeats change nothing, late counts correct their hour and day', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(Date.parse('2026-11-20T10:15:00Z'));
  const store = usageStore(d.db, d.tables.control);
  const meter = (node: string) => usageMeter({ store, clock, node, heartbeatIntervalMs: 5000, logger });
  const rollUp = usageRollup({ store, clock, logger, tierOf: async () => 'pro' });
  const hourItem = async (hour: string) => (await store.itemsWithPrefix(T, 'hour', `${hour}#`))[0];
  const dayItem = async () => (await store.itemsWithPrefix(T, 'day', '2026-11-20#'))[0];

  const a = meter('node-a');
  a.commit(T, C, 1000, 10);
  a.request(T, C);
  a.sample([{ tenantId: T, clusterId: C, liveBytes: 4000, partitions: 6 }]);
  clock.advance(30 * 60_000);
  a.sample([{ tenantId: T, clusterId: C, liveBytes: 8000, partitions: 8 }]);
  // One agent beating a thousand times an hour still counts one agent-hour at most.
  for (let i = 0; i < 1000; i++) a.beat(T, C, 'fast-agent');
  for (let i = 0; i < 12; i++) a.beat(T, C, 'normal-agent');
  assert.deepEqual(await a.flush(), { written: 1, failed: 0 });
  assert.deepEqual(await a.flush(), { written: 0, failed: 0 }, 'nothing changed, nothing written');

  clock.advance(60 * 60_000); // 11:45
  a.commit(T, C, 500, 5);
  assert.deepEqual(await a.flush(), { written: 1, failed: 0 });
  assert.equal(a.size(), 1, 'the closed and flushed hour left memory');

  let out = await rollUp();
  assert.deepEqual(out, { hours: 2, hourItems: 2, dayItems: 1 });
  const ten = await hourItem('2026-11-20T10');
  assert.equal(ten.bytesWritten, 1000);
  assert.equal(ten.recordsWritten, 10);
  assert.equal(ten.metadataRequests, 1);
  assert.equal(ten.storageBytes, 6000, 'storage averages the samples of the hour');
  assert.equal(ten.partitionsMax, 8);
  assert.equal(ten.agentHours, Math.round((1 + (12 * 5) / 3600) * 1e6) / 1e6);
  assert.deepEqual(ten.cost, price(ten, 'pro').cost);
  assert.equal((await dayItem()).bytesWritten, 1500);

  clock.advance(60_000);
  out = await rollUp();
  assert.deepEqual(out, { hours: 1, hourItems: 0, dayItems: 0 }, 'a repeat run looks a little behind its last start (index lag) and rewrites nothing');

  // Late data: another node that could not flush for an hour reports for 10:00 now.
  clock.advance(30 * 60_000);
  const b = meter('node-b');
  clock.set(Date.parse('2026-11-20T10:59:00Z'));
  b.commit(T, C, 250, 2);
  clock.set(Date.parse('2026-11-20T12:20:00Z'));
  await b.flush();
  out = await rollUp();
  assert.deepEqual(out, { hours: 2, hourItems: 1, dayItems: 1 }, 'hour 10 corrected (11 looked at again, unchanged)');
  assert.equal((await hourItem('2026-11-20T10')).bytesWritten, 1250);
  assert.equal((await hourItem('2026-11-20T10')).recordsWritten, 12);
  assert.equal((await dayItem()).bytesWritten, 1750);
  assert.equal((await dayItem()).cost.totalMicroUsd, (await hourItem('2026-11-20T10')).cost.totalMicroUsd + (await hourItem('2026-11-20T11')).cost.totalMicroUsd);
  // A node flushing the same totals again (a retry after a timeout) changes nothing.
  await store.putRaw({ ...(await store.rawOfHour(T, '2026-11-20T10')).find((r) => r.node === 'node-b')!, flushedAt: new Date(clock.now()).toISOString() });
  clock.advance(60_000);
  assert.deepEqual(await rollUp(), { hours: 1, hourItems: 0, dayItems: 0 });

  // Staff list across tenants from the index, a partition per day: a range starting late on the
  // day before still reaches into this one.
  const service = usageService({ store, cursors: cursorCodec('test-secret') });
  const across = await service.listAll({ from: '2026-11-19T22:30:00Z', to: '2026-11-20T12:00:00Z', granularity: 'hour', limit: 10 });
  assert.deepEqual(across.items.map((i) => i.periodStart), ['2026-11-20T10:00:00.000Z', '2026-11-20T11:00:00.000Z']);
  assert.equal(across.nextCursor, null);
  const days = await service.listAll({ from: '2026-10-31T12:00:00Z', to: '2026-11-21', granularity: 'day', limit: 10 });
  assert.deepEqual(days.items.map((i) => [i.periodStart, i.bytesWritten]), [['2026-11-20T00:00:00.000Z', 1750]]);
});
