import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { Db, createDynamoClient, type TableNames } from '../../shared/dynamo';
import { tenantFence, TenantFenceError } from '../../shared/tenant-fence';
import { clusterPk, tenantPk } from '../../shared/keys';
import { isAppError } from '../../shared/errors';
import { tenantStore } from '../../services/tenants/store';
import { apiKeyStore } from '../../services/credentials/api-keys-store';
import { clusterStore } from '../../services/clusters/store';
import { auditStore } from '../../services/audit/store';
import { idempotencyStore } from '../../services/idempotency/store';
import { agentKeyStore } from '../../services/credentials/agent-keys-store';
import { memberStore } from '../../services/agents/members-store';
import { trustRuleStore } from '../../services/credentials/trust-rules-store';
import { leaseStore } from '../../services/metadata/lease-store';
import { journalStore } from '../../services/metadata/journal-store';
import { journalLayout } from '../../services/metadata/journal-stripes';
import { snapshotStore } from '../../services/metadata/snapshot-store';
import { metadataHomeStore } from '../../services/metadata/home-store';
import { statsStore } from '../../services/metadata/stats-store';
import { usageStore } from '../../services/usage/store';
import type { UsageItem } from '../../services/usage/model';
import { freePort } from '../../infra/local/free-port';
import type { Cluster } from '../../services/clusters/model';

// The in-process LeadingKeys fence: every store operation on a tenant's items goes through
// that tenant's view of the store, which refuses, before any I/O, a key of another tenant.

const A = 'tnt_01jd4v7m2q8x3k5n6p7r8s9taa';
const B = 'tnt_01jd4v7m2q8x3k5n6p7r8s9tbb';
const C = 'vci_01jd4v7m2q8x3k5n6p7r8s9tcc';
const NOW = '2026-11-25T00:00:00.000Z';

/** Every tenant-scoped store operation, aimed at the items of `tenant`. */
function operations(db: Db, t: TableNames) {
  const tenants = tenantStore(db, t.control);
  const apiKeys = apiKeyStore(db, t.control);
  const clusters = clusterStore(db, t.control);
  const audit = auditStore(db, t.control);
  const idem = idempotencyStore(db, t.control);
  const agentKeys = agentKeyStore(db, t.control);
  const members = memberStore(db, t.control);
  const rules = trustRuleStore(db, t.control);
  const lease = leaseStore(db, t.metadata);
  const journal = journalStore(db, t.metadata);
  const snapshots = snapshotStore(db, t.metadata);
  const home = metadataHomeStore(db, t.metadata);
  const stats = statsStore(db, t.metadata);
  const usage = usageStore(db, t.control);
  const raw = (x: string) => ({ tenantId: x, clusterId: C, hour: '2026-11-25T00', node: 'n', bytesWritten: 1, recordsWritten: 1, metadataRequests: 0, agentSeconds: 0, storageByteSamples: 0, storageSamples: 0, partitionsMax: 0, flushedAt: NOW });
  const usageItem = (x: string) => ({ tenantId: x, clusterId: C, granularity: 'hour', periodStart: NOW, hours: 1, storageBytes: 0, tier: 'pro', catalogueVersion: '1', updatedAt: NOW }) as unknown as UsageItem;
  const j1 = (x: string) => journalLayout(clusterPk(x, C), 1);
  const j4 = (x: string) => journalLayout(clusterPk(x, C), 4);
  const claim = { holder: 'n', holderAddress: 'a', holderRegion: 'us-east-1', incarnation: 'i', epoch: 1 };
  const drain = async (it: AsyncIterable<unknown>) => {
    for await (const _ of it) void _;
  };
  const ops: Record<string, Record<string, (tenant: string) => Promise<unknown>>> = {
    tenants: {
      create: (x) => tenants.create({ id: x, name: 'n', tier: 'pro', status: 'active', limitOverrides: {}, clusterIds: [], tierCatalogueVersion: '1', version: 1, createdAt: NOW, updatedAt: NOW }),
      get: (x) => tenants.get(x),
      update: (x) => tenants.update(x, 1, { name: 'm' }, NOW),
      addCluster: (x) => tenants.addCluster(x, C, 'pro', 5, NOW),
      removeCluster: (x) => tenants.removeCluster(x, C, NOW),
      partitionKeys: (x) => tenants.partitionKeys(x),
      remove: (x) => tenants.remove(x),
    },
    apiKeys: {
      create: (x) => apiKeys.create({ id: `key_${x.slice(4)}`, tenantId: x, name: 'k', scopes: [], secretHash: '0', createdAt: NOW, createdBy: 't' }),
      get: (x) => apiKeys.get(x, 'key_x'),
      list: (x) => apiKeys.list(x, 10),
      countActive: (x) => apiKeys.countActive(x, NOW),
      revoke: (x) => apiKeys.revoke(x, 'key_x', NOW),
    },
    clusters: {
      reserveName: (x) => clusters.reserveName(x, 'n', C, NOW),
      confirmName: (x) => clusters.confirmName(x, 'n', C),
      releaseName: (x) => clusters.releaseName(x, 'n', C),
      create: (x) => clusters.create({ id: C, tenantId: x, name: 'n', status: 'provisioning', version: 1 } as unknown as Cluster),
      get: (x) => clusters.get(x, C),
      list: (x) => clusters.list(x, 10),
      update: (x) => clusters.update(x, C, {}, { name: 'm' }, NOW),
      removeChildren: (x) => clusters.removeChildren(x, C),
    },
    audit: {
      put: (x) => audit.put({ id: 'evt_x', at: NOW, tenantId: x, principal: { type: 'system', id: 's' }, action: 'a', target: { type: 't', id: null }, result: 'success', requestId: 'r' }),
      listForTenant: (x) => audit.listForTenant(x, 10),
    },
    idempotency: {
      claim: (x) => idem.claim({ pk: tenantPk(x), sk: 'IDEM#r#k', requestHash: 'h', state: 'pending', lockedUntil: 0, ttl: 1e10 }, 0),
      get: (x) => idem.get(tenantPk(x), 'IDEM#r#k'),
      complete: (x) => idem.complete(tenantPk(x), 'IDEM#r#k', 200, '{}', {}),
      release: (x) => idem.release(tenantPk(x), 'IDEM#r#k'),
    },
    agentKeys: {
      create: (x) => agentKeys.create({ id: `akn_${x.slice(4)}`, tenantId: x, clusterId: C, name: 'k', access: 'read-only', secretHash: '0', createdAt: NOW, createdBy: 't' }),
      list: (x) => agentKeys.list(x, C, 10),
      revoke: (x) => agentKeys.revoke(x, C, 'akn_x', NOW),
    },
    members: {
      put: (x) => members.put({ tenantId: x, clusterId: C, agentId: 'a', version: '1.0.0', region: 'r', zone: 'z', advertisedAddress: 'h:1', roles: ['proxy'], state: 'live', registeredAt: NOW, updatedAt: NOW }),
      get: (x) => members.get(x, C, 'a'),
      setState: (x) => members.setState(x, C, 'a', 'dead', NOW),
      list: (x) => members.list(x, C, 10),
    },
    trustRules: {
      create: (x) => rules.create({ id: `aid_${x.slice(4)}`, tenantId: x, clusterId: C, provider: 'aws', accountId: '1', roleArnPattern: 'r', access: 'read-only', createdAt: NOW, createdBy: 't' }),
      get: (x) => rules.get(x, C, 'aid_x'),
      list: (x) => rules.list(x, C, 10),
      all: (x) => rules.all(x, C),
      remove: (x) => rules.remove(x, C, 'aid_x'),
    },
    metadata: {
      allocate: (x) => home.allocate(x, C, NOW),
      leaseRead: (x) => lease.read(clusterPk(x, C)),
      leaseTake: (x) => lease.take(clusterPk(x, C), undefined, claim, 1),
      leaseRenew: (x) => lease.renew(clusterPk(x, C), claim, 2),
      leaseRelease: (x) => lease.release(clusterPk(x, C), claim),
      leaseHandOver: (x) => lease.handOver(clusterPk(x, C), claim, { nodeId: 's', address: 'b', region: 'us-west-2' }, 2),
      journalAppend: (x) => journal.append(j1(x), { seq: 1, data: new Uint8Array([1]), epoch: 1, writer: 'w', leader: 'l' }),
      journalGet: (x) => journal.get(j1(x), 1),
      journalRead: (x) => drain(journal.readFrom(j1(x), 1)),
      // A striped journal's keys (`T#<tenant>#C#<cluster>#J<k>`) are the tenant's too.
      stripedAppend: (x) => journal.append(j4(x), { seq: 2, data: new Uint8Array([1]), epoch: 1, writer: 'w', leader: 'l' }),
      stripedGet: (x) => journal.get(j4(x), 2),
      stripedLastSeq: (x) => journal.lastSeq(j4(x)),
      stripedRead: (x) => drain(journal.readFrom(j4(x), 1)),
      stripedSeqsBelow: (x) => journal.seqsBelow(j4(x), 10, 10),
      stripedRemove: (x) => journal.remove(j4(x), [1, 2, 3]),
      stripedPurge: (x) => journal.purge(j4(x)),
      snapshotPointer: (x) => snapshots.readPointer(clusterPk(x, C)),
      snapshotWrite: (x) => snapshots.write(clusterPk(x, C), 5, new Uint8Array(10), { chunkBytes: 100, createdAt: 0 }),
      purge: (x) => home.purgeAllButLease(clusterPk(x, C)),
      statsWrite: (x) => stats.write(clusterPk(x, C), { files: { live: 0, deleting: 0 } as never, at: 0 }),
      statsRead: (x) => stats.read(clusterPk(x, C)),
    },
    usage: {
      putRaw: (x) => usage.putRaw(raw(x)),
      rawOfHour: (x) => usage.rawOfHour(x, '2026-11-25T00'),
      itemsWithPrefix: (x) => usage.itemsWithPrefix(x, 'hour', '2026-11-25'),
      putUsage: (x) => usage.putUsage(usageItem(x), '2026-11-25T00'),
      page: (x) => usage.page(x, 'hour', '2026-11-25T00', '2026-11-26T00', undefined, 10),
    },
  };
  return ops;
}

/** Stores that are not tenant-scoped on purpose (vendor-level items, or Redis). */
const NOT_TENANT_SCOPED = ['signingKeys', 'revocations', 'live', 'regions'];

let h: Harness;
let endpoint: string;
before(async () => {
  h = await startHarness({ workers: false });
  // An address nothing listens on: a request that got past the fence fails at the network.
  endpoint = `http://127.0.0.1:${await freePort()}`;
});
after(() => h.close());

/** A store whose every tenant view is fenced to `scope`, whatever tenant it is asked for: a deliberately wrong key. */
function storeScopedTo(scope: string) {
  const base = createDynamoClient({ endpoint, region: 'us-east-1' });
  const fence = tenantFence({ base, tables: Object.values(h.runtime.tables) });
  return { db: new Db(base, { tenants: { forTenant: () => fence.forTenant(scope) } }), close: () => base.destroy() };
}

test('every store is covered: each runtime store is fenced here or declared vendor-level', () => {
  const covered = new Set([...Object.keys(operations(h.runtime.db, h.runtime.tables)), ...NOT_TENANT_SCOPED]);
  for (const name of Object.keys(h.runtime.stores)) assert.ok(covered.has(name), `store "${name}" has no tenant-fence test`);
});

test('a deliberately wrong key: every tenant-scoped store operation goes through the fence, which refuses it before any I/O', async () => {
  const wrong = storeScopedTo(A);
  try {
    let checked = 0;
    for (const [store, methods] of Object.entries(operations(wrong.db, h.runtime.tables))) {
      for (const [method, op] of Object.entries(methods)) {
        await assert.rejects(op(B), (e: unknown) => e instanceof TenantFenceError && e.tenantId === A, `${store}.${method}: tenant B's keys through tenant A's fence`);
        // Aimed at A's own items, the same operation passes the fence and reaches the (unreachable) store.
        await assert.rejects(op(A), (e: unknown) => isAppError(e) && e.code === 'store_unavailable', `${store}.${method}: tenant A's keys pass`);
        checked++;
      }
    }
    assert.ok(checked >= 45, `${checked} operations checked`);
  } finally {
    wrong.close();
  }
});

test('the fence itself: foreign keys, mixed batches, index reads and vendor items are refused for a tenant; its own items work on the real store', async () => {
  const t = h.runtime.tables;
  const mine = h.runtime.db.forTenant(A);
  await assert.rejects(mine.get(t.control, { pk: `T#${B}`, sk: 'TENANT' }), TenantFenceError);
  await assert.rejects(mine.get(t.control, { pk: `${tenantPk(A)}x`, sk: 'TENANT' }), TenantFenceError, 'a longer id sharing the prefix is another tenant');
  await assert.rejects(mine.get(t.control, { pk: 'REVOCATIONS', sk: 'x' }), TenantFenceError);
  await assert.rejects(mine.deleteMany(t.control, [{ pk: tenantPk(A), sk: 'x' }, { pk: tenantPk(B), sk: 'y' }]), TenantFenceError);
  await assert.rejects(mine.query({ table: t.control, index: 'gsi1', keyCondition: 'gsi1pk = :p', values: { ':p': tenantPk(A) } }), TenantFenceError);
  await assert.rejects(mine.query({ table: t.control, keyCondition: 'pk = :pk', values: { ':pk': tenantPk(B) } }), TenantFenceError);
  await assert.rejects(mine.get('hm-elsewhere', { pk: tenantPk(A), sk: 'x' }), TenantFenceError);
  for (const [store, methods] of Object.entries(operations(h.runtime.db, t))) {
    for (const [method, op] of Object.entries(methods)) await op(A).catch((e) => assert.fail(`${store}.${method}: ${e}`));
  }
  // The base view (admin lists, workers, vendor-level items) is not fenced.
  assert.ok(Array.isArray((await tenantStore(h.runtime.db, t.control).list(10)).items));
  await h.runtime.stores.revocations.add({ entity: 'agent-key', id: 'akn_x', notBefore: Date.now() }, 60);
});

test('the customer and agent flows stay inside their tenants (a cross-tenant read anywhere would have been a 500)', async () => {
  const a = await h.createTenant('pro', 'Fence A');
  const b = await h.createTenant('pro', 'Fence B');
  assert.equal((await h.request('GET', '/v1/tenant', { token: a.key })).body.id, a.tenant.id);
  assert.equal((await h.request('GET', '/v1/tenant', { token: b.key })).body.id, b.tenant.id);
  assert.equal((await h.request('GET', `/v1/clusters`, { token: b.key })).status, 200);
});
