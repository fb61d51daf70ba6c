import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../infra/local/free-port';
import { systemContext } from '../../shared/actor';
import { manualClock } from '../../shared/clock';
import { randomBase62 } from '../../shared/crypto';
import { cursorCodec } from '../../shared/cursor';
import { Db, type Condition, type Item, type Key, type UpdateInput } from '../../shared/dynamo';
import { isAppError } from '../../shared/errors';
import { createLogger } from '../../shared/logger';
import { tenantPk } from '../../shared/keys';
import { RESERVATION_GRACE_MS } from '../../services/clusters/creation';
import { clustersService } from '../../services/clusters/service';
import { clusterStore } from '../../services/clusters/store';
import { tenantStore } from '../../services/tenants/store';
import { TIER_CATALOGUE_VERSION } from '../../services/tiers/catalogue';
import { lifecycleProducer, openQueues } from '../../workers/queues';
import { startTestDynamo } from '../helpers/dynamo';
import { singleRegionCluster } from '../helpers/harness';
import { startTestRedis, testBull } from '../helpers/redis';

/**
 * Creating a cluster is four single-item writes (reserve the name, count the plan slot, write
 * the cluster, confirm the name). A store failure at any of them, in three shapes, must leak
 * neither the name nor the slot: a single failed write (the create cleans up at once), a write
 * that landed but whose reply was lost, and an outage from that write on (the create cannot
 * clean up; the reconciler's sweep does, after the grace period).
 */
type Mode = 'once' | 'lose-reply' | 'outage';

/** Fails the Nth write from `arm` on, at the network boundary: the call goes to a dead endpoint. */
class FailingDb extends Db {
  private writes = 0;
  private failAt = 0;
  private mode: Mode = 'once';
  constructor(
    live: Db,
    private readonly dead: Db,
  ) {
    super(live.client);
  }
  arm(n: number, mode: Mode) {
    this.writes = 0;
    this.failAt = n;
    this.mode = mode;
  }
  heal() {
    this.failAt = 0;
  }
  private async write<T>(live: () => Promise<T>, dead: () => Promise<T>): Promise<T> {
    if (this.failAt === 0) return live();
    this.writes++;
    if (this.writes < this.failAt || (this.writes > this.failAt && this.mode !== 'outage')) return live();
    if (this.mode === 'lose-reply') await live();
    return dead();
  }
  override put(table: string, item: Item, condition?: Condition) {
    return this.write(() => super.put(table, item, condition), () => this.dead.put(table, item, condition));
  }
  override update<T = Item>(input: UpdateInput) {
    return this.write(() => super.update<T>(input), () => this.dead.update<T>(input));
  }
  override delete(table: string, key: Key, condition?: Condition) {
    return this.write(() => super.delete(table, key, condition), () => this.dead.delete(table, key, condition));
  }
}

test('a store failure at any step of a cluster create leaks no name and no plan slot', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const redis = await startTestRedis();
  t.after(() => redis.close());
  const bull = testBull(redis.url, redis.cluster, `hmt${randomBase62(8)}`);
  t.after(bull.close);
  const queues = openQueues(bull.connection, bull.keys);
  t.after(() => queues.close());
  const deadClient = new DynamoDBClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${await freePort()}`, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  t.after(() => deadClient.destroy());
  const db = new FailingDb(d.db, new Db(deadClient));
  const clock = manualClock(Date.parse('2027-03-01T12:00:00Z'));
  const tenants = tenantStore(db, d.tables.control);
  const clusters = clusterStore(db, d.tables.control);
  const service = clustersService({ clusters, tenants, jobs: lifecycleProducer(queues), clock, cursors: cursorCodec('x'.repeat(40)), logger: createLogger('silent') });

  /** Names reserved and slots counted without a cluster item; reservations still pending. */
  async function leaksOf(tenantId: string) {
    const items: Item[] = [];
    for await (const it of d.db.queryAll<Item>({ table: d.tables.control, keyCondition: 'pk = :pk', values: { ':pk': tenantPk(tenantId) } })) items.push(it);
    const clusterIds = new Set(items.filter((i) => String(i.sk).startsWith('CLUSTER#')).map((i) => String(i.id)));
    const names = items.filter((i) => String(i.sk).startsWith('CLUSTERNAME#'));
    const slots = [...((items.find((i) => i.sk === 'TENANT')!.clusterIds as Set<string> | undefined) ?? [])];
    return {
      names: names.filter((n) => !clusterIds.has(String(n.clusterId))).map((n) => String(n.sk)),
      slots: slots.filter((id) => !clusterIds.has(id)),
      pending: names.filter((n) => n.gsi1pk !== undefined).length,
      clusters: clusterIds.size,
    };
  }

  const none = { names: [], slots: [] };
  for (const mode of ['once', 'lose-reply', 'outage'] as const) {
    for (let step = 1; step <= 4; step++) {
      const tenantId = `tnt_${mode.replace('-', '')}${step}`;
      const now = new Date(clock.now()).toISOString();
      await tenants.create({ id: tenantId, name: 't', tier: 'pro', status: 'active', limitOverrides: {}, clusterIds: [], tierCatalogueVersion: TIER_CATALOGUE_VERSION, version: 1, createdAt: now, updatedAt: now });
      db.arm(step, mode);
      const outcome = await service.create(systemContext('test'), tenantId, singleRegionCluster('orders')).then(
        () => 'created',
        (e) => (isAppError(e) ? `${e.status} ${e.code}` : String(e)),
      );
      db.heal();
      const label = `${mode} at write ${step}`;
      // The create's own outcome: its cluster exists once its item was written.
      const created = step === 4 || (mode === 'lose-reply' && step === 3);
      assert.equal(outcome, created ? 'created' : '503 store_unavailable', label);
      const leaks = await leaksOf(tenantId);
      assert.equal(leaks.clusters, created ? 1 : 0, label);
      if (mode !== 'outage') assert.deepEqual({ names: leaks.names, slots: leaks.slots }, none, `${label}: cleaned up at once`);

      // The reconciler's sweep, once the grace period is over, leaves nothing leaked or pending.
      clock.advance(RESERVATION_GRACE_MS + 1);
      await service.reclaimLeakedCreates();
      const after = await leaksOf(tenantId);
      assert.deepEqual({ names: after.names, slots: after.slots, pending: after.pending }, { ...none, pending: 0 }, `${label}: after the sweep`);
      const again = await service.create(systemContext('test'), tenantId, singleRegionCluster('orders')).then(
        () => 'created',
        (e) => (isAppError(e) ? e.code : String(e)),
      );
      assert.equal(again, created ? 'cluster_name_taken' : 'created', `${label}: the name is free exactly when no cluster holds it`);
    }
  }
});
