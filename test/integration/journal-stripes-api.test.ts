import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPk } from '../../shared/keys';
import { journalLayout, stripePks } from '../../services/metadata/journal-stripes';
import { chooseJournalStripes, JOURNAL_STRIPES_BY_TIER } from '../../services/clusters/journal-stripes';
import { clusterStore } from '../../services/clusters/store';
import { fileOf } from '../helpers/metadata';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

/**
 * A cluster's journal stripe count: chosen at creation (the tenant's admin setting, else the
 * tier's default, capped by the fleet), shown on the cluster, never changed, and honoured by
 * everything that touches the journal, deletion included.
 */

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

async function readyCluster(key: string, name: string) {
  const create = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name) });
  assert.equal(create.status, 202, create.text);
  const id = create.body.id as string;
  return eventually(async () => {
    const r = await h.request('GET', `/v1/clusters/${id}`, { token: key });
    return r.body.status === 'ready' ? r.body : undefined;
  });
}

async function journalKeys(tenantId: string, clusterId: string, stripes: number): Promise<string[]> {
  const out: string[] = [];
  for (const pk of stripePks(journalLayout(clusterPk(tenantId, clusterId), stripes))) {
    for await (const it of h.runtime.db.queryAll<{ pk: string; sk: string }>({ table: h.runtime.tables.metadata, keyCondition: 'pk = :pk AND begins_with(sk, :j)', values: { ':pk': pk, ':j': 'J#' } })) out.push(`${it.pk} ${it.sk}`);
  }
  return out;
}

test('the stripe count: the tier\'s default, or the tenant\'s admin setting, shown on the cluster; no PATCH changes it', async () => {
  const { tenant, key } = await h.createTenant('pro', 'Stripes');
  const pro = await readyCluster(key, 'striped');
  assert.equal(pro.journalStripes, JOURNAL_STRIPES_BY_TIER.pro);

  const refused = await h.request('PATCH', `/v1/clusters/${pro.id}`, { token: key, body: { journalStripes: 2 } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'unknown_field');

  const admin = await h.adminToken();
  const bad = await h.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { token: admin, body: { journalStripes: 17 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'invalid_body');
  const set = await h.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { token: admin, body: { journalStripes: 3 } });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.body.journalStripes, 3);
  const three = await readyCluster(key, 'three');
  assert.equal(three.journalStripes, 3);
  assert.equal((await h.request('GET', `/v1/clusters/${pro.id}`, { token: key })).body.journalStripes, JOURNAL_STRIPES_BY_TIER.pro, 'existing clusters keep theirs');
  const listed = await h.request('GET', `/admin/v1/clusters?limit=100`, { token: admin });
  assert.equal(listed.body.items.find((c: { id: string }) => c.id === three.id).journalStripes, 3, 'the admin view shows it');

  // The journal of the 3-stripe cluster lands on its three keys, and deletion purges them all.
  const cluster = await h.runtime.services.clusterAccess(tenant.id, three.id);
  assert.equal(cluster.journalStripes, 3);
  await h.runtime.services.metadata.createTopic(cluster, { name: 't', partitions: 2 });
  const commit = (i: number) => {
    const f = fileOf(`f${i}`, [{ topic: 't', partition: i % 2 }]);
    return { ...f, replicas: [{ ...f.replicas[0], bucket: cluster.buckets[0].url }] };
  };
  for (let i = 0; i < 5; i++) await h.runtime.services.metadata.commitFile(cluster, commit(i));
  const pk = clusterPk(tenant.id, three.id);
  const keys = await journalKeys(tenant.id, three.id, 3);
  assert.ok(keys.length >= 6 && [0, 1, 2].every((k) => keys.some((x) => x.startsWith(`${pk}#J${k} `))), keys.join(', '));
  const del = await h.request('DELETE', `/v1/clusters/${three.id}`, { token: key });
  assert.equal(del.status, 202);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${three.id}`, { token: key })).body.status === 'deleted', 60_000);
  assert.deepEqual(await journalKeys(tenant.id, three.id, 3), [], 'every stripe purged');
});

test('a cluster item written before stripes existed reads as one stripe, its journal under the cluster key', async () => {
  const { tenant, key } = await h.createTenant('pro', 'Legacy');
  const c = await readyCluster(key, 'legacy');
  // What an older version wrote: no journalStripes on the item.
  const item = await h.runtime.db.get<Record<string, unknown>>(h.runtime.tables.control, { pk: `T#${tenant.id}`, sk: `CLUSTER#${c.id}` });
  assert.ok(item, 'the cluster item');
  delete item.journalStripes;
  await h.runtime.db.put(h.runtime.tables.control, item);
  assert.equal((await clusterStore(h.runtime.db, h.runtime.tables.control).get(tenant.id, c.id))!.journalStripes, 1);
  assert.equal((await h.request('GET', `/v1/clusters/${c.id}`, { token: key })).body.journalStripes, 1);
});

test('the fleet cap bounds every choice (HM_MAX_JOURNAL_STRIPES=1 during a rolling upgrade)', () => {
  assert.equal(chooseJournalStripes('enterprise', undefined, 16), 16);
  assert.equal(chooseJournalStripes('enterprise', undefined, 1), 1);
  assert.equal(chooseJournalStripes('dev', 12, 16), 12);
  assert.equal(chooseJournalStripes('dev', 12, 4), 4);
  assert.equal(chooseJournalStripes('dev', undefined, 16), 1);
});
