import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupCommit, lastPerKey } from '../../shared/group-commit';
import { memberStore } from '../../services/agents/members-store';
import { auditStore } from '../../services/audit/store';
import { startTestDynamo } from '../helpers/dynamo';
import type { AgentMember } from '../../services/agents/model';

/** A flush the test releases by hand: batches as the store would see them. */
function heldFlush() {
  const batches: { key: string; items: number[]; release(): void; fail(e: Error): void }[] = [];
  const flush = (key: string, items: number[]) =>
    new Promise<number[]>((resolve, reject) => batches.push({ key, items, release: () => resolve(items.map((i) => i * 10)), fail: reject }));
  return { batches, flush };
}
const turn = () => new Promise((r) => setImmediate(r));

test('calls made while a batch is in flight share the next batch; each resolves with its own answer once its batch is done', async () => {
  const { batches, flush } = heldFlush();
  const add = groupCommit<number, number>({ maxBatch: 3, maxInFlight: 1, flush });
  const first = add('t', 1);
  await turn();
  assert.deepEqual(batches.map((b) => b.items), [[1]], 'an idle key starts a batch at once');
  const rest = [2, 3, 4, 5].map((i) => add('t', i));
  await turn();
  assert.equal(batches.length, 1, 'nothing else goes out while the one allowed batch is in flight');
  let settled = false;
  void rest[0].then(() => (settled = true));
  batches[0].release();
  assert.equal(await first, 10);
  await turn();
  assert.equal(settled, false, 'a call is not answered before its own batch is done');
  assert.deepEqual(batches.map((b) => b.items), [[1], [2, 3, 4]], 'the waiting calls went out together, up to maxBatch');
  batches[1].release();
  await turn();
  assert.deepEqual(batches[2].items, [5]);
  batches[2].release();
  assert.deepEqual(await Promise.all(rest), [20, 30, 40, 50]);
});

test("a failed batch fails exactly its own calls; other keys' batches are independent", async () => {
  const { batches, flush } = heldFlush();
  const add = groupCommit<number, number>({ maxBatch: 10, maxInFlight: 1, flush });
  const a = [add('a', 1), add('a', 2)];
  const b = add('b', 3);
  await turn();
  assert.deepEqual(batches.map((x) => [x.key, x.items]), [['a', [1, 2]], ['b', [3]]]);
  batches[0].fail(new Error('store down'));
  batches[1].release();
  for (const p of a) await assert.rejects(p, /store down/);
  assert.equal(await b, 30);
  // The key recovers: the next call goes out on its own.
  const again = add('a', 4);
  await turn();
  batches[2].release();
  assert.equal(await again, 40);
});

test('lastPerKey keeps the last write to each key (the store refuses duplicates in one batch)', () => {
  const out = lastPerKey([{ pk: 'p', sk: '1', v: 1 }, { pk: 'p', sk: '2', v: 2 }, { pk: 'p', sk: '1', v: 3 }]);
  assert.deepEqual(out, [{ pk: 'p', sk: '2', v: 2 }, { pk: 'p', sk: '1', v: 3 }]);
});

const member = (tenantId: string, agentId: string, version = '1.0.0'): AgentMember => ({
  agentId,
  tenantId,
  clusterId: 'cl_1',
  version,
  region: 'us-east-1',
  zone: 'us-east-1a',
  advertisedAddress: '10.0.0.1:9092',
  roles: ['proxy'],
  state: 'live',
  registeredAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

test('membership records written and read in a storm (batched) are each durable and read back exactly', async () => {
  const d = await startTestDynamo();
  try {
    const store = memberStore(d.db, d.tables.control);
    const tenants = ['ten_a', 'ten_b'];
    // 120 agents per tenant at once, two of them written twice in the same storm (last write wins).
    await Promise.all(tenants.flatMap((t) => Array.from({ length: 120 }, (_, i) => store.put(member(t, `ag-${i}`)))));
    await Promise.all([store.put(member('ten_a', 'ag-7', '2.0.0')), store.put(member('ten_a', 'ag-8', '2.0.0'))]);
    const read = await Promise.all(tenants.flatMap((t) => Array.from({ length: 130 }, (_, i) => store.get(t, 'cl_1', `ag-${i}`).then((m) => [t, i, m] as const))));
    for (const [t, i, m] of read) {
      if (i >= 120) assert.equal(m, undefined, `${t}/ag-${i} was never written`);
      else assert.deepEqual(m, member(t, `ag-${i}`, t === 'ten_a' && (i === 7 || i === 8) ? '2.0.0' : '1.0.0'));
    }
    // A fresh store (nothing cached anywhere) sees the same durable records.
    const fresh = memberStore(d.db, d.tables.control);
    assert.equal((await fresh.get('ten_b', 'cl_1', 'ag-119'))?.agentId, 'ag-119');
    assert.equal((await fresh.list('ten_a', 'cl_1', 200)).items.length, 120);
  } finally {
    await d.close();
  }
});

test('audit events written together are all durable, tenant and vendor ones alike', async () => {
  const d = await startTestDynamo();
  try {
    const store = auditStore(d.db, d.tables.control);
    const event = (i: number, tenantId: string | null) => ({
      id: `aud_${String(i).padStart(4, '0')}`,
      at: '2026-01-01T00:00:00.000Z',
      tenantId,
      principal: { type: 'agent', id: 'ak_1' },
      action: 'agent.registered',
      target: { type: 'agent', id: `cl_1/ag-${i}` },
      result: 'success' as const,
      requestId: `req-${i}`,
    });
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.put(event(i, i % 3 === 0 ? null : 'ten_a'))));
    assert.equal((await store.listForTenant('ten_a', 100)).items.length, 40);
    assert.equal((await store.listAll(100)).items.length, 60);
  } finally {
    await d.close();
  }
});
