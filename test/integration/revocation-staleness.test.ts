import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { Db, type Page, type QueryInput } from '../../shared/dynamo';
import { unavailable } from '../../shared/errors';
import { createLogger } from '../../shared/logger';
import { revocations } from '../../services/credentials/revocations';
import { revocationStore } from '../../services/credentials/revocations-store';
import { startTestDynamo, startTestEngine } from '../helpers/dynamo';
import { eventually, singleRegionCluster, startHarness } from '../helpers/harness';
import { rejectsWith } from '../helpers/metadata';
import { startTcpLink } from '../helpers/tcp-link';

/** The real store, with reads that fail while `down` (as the SDK's errors become them). */
class OutageDb extends Db {
  down = false;
  override async query<T>(q: QueryInput): Promise<Page<T>> {
    if (this.down) throw unavailable('store_unavailable', 'The metadata store is temporarily unavailable; retry the request.');
    return super.query<T>(q);
  }
}

test('revocation checks fail closed once the log could not be read for longer than the bound, and recover by themselves', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const db = new OutageDb(d.db.client);
  const clock = manualClock(1_800_000_000_000);
  const timer = manualClock(0);
  const logger = createLogger('silent');
  const common = { clock, logger, maxTokenLifetimeMs: 600_000, pollMs: 1000, maxStalenessMs: 5000 };
  const reader = revocations({ ...common, store: revocationStore(db, d.tables.control), timer });
  const writer = revocations({ ...common, store: revocationStore(d.db, d.tables.control) });
  const token = { agentKeyId: 'akn_1', tenantId: 'tnt_1', clusterId: 'vci_1' };
  const issuedAt = clock.now() - 1000;

  await reader.poll();
  reader.check(issuedAt, token);
  db.down = true;
  timer.advance(1000);
  await assert.rejects(reader.poll());
  clock.advance(10);
  await writer.revoke('agent-key', 'akn_1');
  // Within the bound the view answers, even though it cannot see the new revocation yet.
  timer.advance(4000);
  assert.equal(reader.stalenessMs(), 5000);
  reader.check(issuedAt, token);
  // Past it, nothing is admitted: neither the revoked token nor any other.
  timer.advance(1);
  const err = await rejectsWith(() => reader.check(issuedAt, token), 503, 'revocation_state_stale');
  assert.equal(err.extra.retryable, true);
  await rejectsWith(() => reader.check(issuedAt, { ...token, agentKeyId: 'akn_2' }), 503, 'revocation_state_stale');

  // A poll that works again restores service and applies what was missed meanwhile.
  db.down = false;
  timer.advance(1000);
  await reader.poll();
  assert.equal(reader.stalenessMs(), 0);
  await rejectsWith(() => reader.check(issuedAt, token), 401, 'token_revoked');
  reader.check(issuedAt, { ...token, agentKeyId: 'akn_2' });
});

test('agent requests answer 503 revocation_state_stale while the store is cut off, the gauge shows it, and both recover', async (t) => {
  const engine = await startTestEngine();
  const target = new URL(engine.endpoint);
  const link = await startTcpLink({ host: target.hostname, port: Number(target.port) });
  const h = await startHarness({
    store: { endpoint: link.url, prefix: engine.prefix },
    env: { HM_REVOCATION_POLL_MS: '100', HM_REVOCATION_MAX_STALENESS_MS: '1000' },
  });
  t.after(async () => {
    link.restore();
    await h.close();
    await link.close();
    await engine.close();
  });
  const { key } = await h.createTenant('pro', 'Stale Co');
  const cluster = (await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('stale') })).body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${cluster}`, { token: key })).body.status === 'ready');
  const ak = (await h.request('POST', `/v1/clusters/${cluster}/agent-keys`, { token: key, body: { name: 'k', access: 'read-write' } })).body.secret;
  const token = (await h.request('POST', '/agent/v1/token', { token: ak })).body.accessToken as string;
  const discovery = () => h.request('GET', `/agent/v1/clusters/${cluster}/discovery`, { token });
  const staleness = async () => Number(/^hm_revocation_staleness_seconds (\S+)$/m.exec((await h.request('GET', '/metrics')).text)?.[1]);
  // Polls every 100 ms; on a busy machine one may take a while, so only "eventually" is asserted.
  await eventually(async () => (await discovery()).status === 200);
  await eventually(async () => (await staleness()) < 1);

  link.cut();
  const refused = await eventually(async () => {
    const r = await discovery();
    return r.body?.code === 'revocation_state_stale' ? r : undefined;
  });
  assert.equal(refused.status, 503);
  assert.ok(Number(refused.headers['retry-after']) >= 1);
  assert.ok((await staleness()) > 1);

  link.restore();
  await eventually(async () => (await discovery()).status === 200, 30_000);
  await eventually(async () => (await staleness()) < 1);
});
