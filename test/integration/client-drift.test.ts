import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startHarness, type Harness } from '../helpers/harness';
import { DOCUMENT_FILE, TYPES_FILE, clientTypes, normalizeDocument } from '../../infra/client/generate';
import { harbormasterClient, ok, ProblemError } from '../../infra/client';

let h: Harness;
before(async () => {
  h = await startHarness({ workers: false });
});
after(() => h?.close());

const STALE = 'the checked-in client is stale: run `npm run client:generate` and commit infra/client/';

test('typed client: the checked-in document and types are the ones the server generates now', async () => {
  const served = normalizeDocument((await h.request('GET', '/docs/json')).body, h.config.publicUrl);
  const checkedIn = readFileSync(DOCUMENT_FILE, 'utf8');
  if (served !== checkedIn) {
    const a = JSON.parse(served);
    const b = JSON.parse(checkedIn);
    const ops = (d: any) => Object.entries<any>(d.paths).flatMap(([p, i]) => Object.keys(i).map((m) => `${m.toUpperCase()} ${p}`));
    const added = ops(a).filter((o) => !ops(b).includes(o));
    const gone = ops(b).filter((o) => !ops(a).includes(o));
    assert.fail(`${STALE} (operations new: ${added.join(', ') || 'none'}; gone: ${gone.join(', ') || 'none'}; or schemas changed)`);
  }
  assert.equal(await clientTypes(served), readFileSync(TYPES_FILE, 'utf8'), STALE);
});

test('typed client: calls the real server; answers are typed data, errors ProblemErrors with the code', async () => {
  const url = await h.listen();
  const { key } = await h.createTenant('pro', 'Client Co');
  const hm = harbormasterClient({ baseUrl: url, token: key });
  const tenant = await ok(hm.GET('/v1/tenant'));
  assert.equal(tenant.name, 'Client Co');
  const created = await ok(
    hm.POST('/v1/clusters', {
      body: { name: 'typed', regions: ['us-east-1'], storage: { buckets: [{ region: 'us-east-1', url: 's3://acme-typed/data' }], writeQuorum: 1 } },
    }),
  );
  assert.match(created.id, /^vci_/);
  const page = await ok(hm.GET('/v1/clusters', { params: { query: { limit: 5 } } }));
  assert.deepEqual(page.items.map((c) => c.id), [created.id]);
  await assert.rejects(
    ok(hm.GET('/v1/clusters/{clusterId}', { params: { path: { clusterId: 'vci_01jd4v7m2q8x3k5n6p7r8s9t0a' } } })),
    (e: unknown) => e instanceof ProblemError && e.status === 404 && e.code === 'cluster_not_found',
  );
});
