import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialLookupKey } from '../../shared/keys';
import { singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
before(async () => {
  h = await startHarness({ workers: false });
});
after(() => h.close());

/**
 * What a GSI looks like on AWS in the moment after a write: the item is not in it yet. Every
 * index query through the store client answers empty while this runs; base-table reads are
 * untouched (DynamoDB's consistent reads see the write at once).
 */
async function withLaggingIndexes<T>(fn: () => Promise<T>): Promise<T> {
  const stack = h.runtime.db.client.middlewareStack;
  stack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string };
      if (context.commandName === 'QueryCommand' && input.IndexName) {
        return { output: { Items: [], Count: 0, ScannedCount: 0, $metadata: {} } as never, response: {} };
      }
      return next(args);
    },
    { step: 'initialize', name: 'laggingIndexes' },
  );
  try {
    return await fn();
  } finally {
    stack.remove('laggingIndexes');
  }
}

const lookupOf = (id: string) => h.runtime.db.get(h.runtime.tables.control, credentialLookupKey(id));

test('issue 8 #10: an API key and an agent key work the moment they are returned, whatever the indexes lag', async () => {
  const t = await h.createTenant('pro', 'Fresh Keys');
  const clusterId = (await h.request('POST', '/v1/clusters', { token: t.key, body: singleRegionCluster('fresh') })).body.id as string;
  await withLaggingIndexes(async () => {
    const key = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'new', scopes: ['clusters:read'] } });
    assert.equal(key.status, 201);
    const used = await h.request('GET', '/v1/clusters', { token: key.body.secret });
    assert.equal(used.status, 200, used.text);

    const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: t.key, body: { name: 'a', access: 'read-write' } });
    assert.equal(ak.status, 201);
    const token = await h.request('POST', '/agent/v1/token', { token: ak.body.secret });
    assert.equal(token.status, 200, token.text);
    assert.equal(token.body.clusterId, clusterId);

    // Revocation is still seen at once, and unknown ids are refused the same way as ever.
    assert.equal((await h.request('DELETE', `/v1/api-keys/${key.body.id}`, { token: t.key })).status, 200);
    assert.equal((await h.request('GET', '/v1/clusters', { token: key.body.secret })).body.code, 'credentials_revoked');
    const forged = key.body.secret.replace(/_(\w{26})_/, '_01m87dr64nfd4w3tj4ah64dbxc_');
    assert.equal((await h.request('GET', '/v1/clusters', { token: forged })).status, 401);
  });
});

test('issue 8 #10: the lookup items go with their cluster and with their tenant', async () => {
  const admin = await h.adminToken();
  const t = await h.createTenant('pro', 'Leaving');
  const key = await h.request('POST', '/v1/api-keys', { token: t.key, body: { name: 'k', scopes: ['clusters:read'] } });
  const clusterId = (await h.request('POST', '/v1/clusters', { token: t.key, body: singleRegionCluster('leaving') })).body.id as string;
  const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: t.key, body: { name: 'a', access: 'read-only' } });
  assert.ok(await lookupOf(ak.body.id), 'the agent key has its lookup');
  assert.ok(await lookupOf(key.body.id), 'the API key has its lookup');

  assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}`, { token: t.key })).status, 202);
  assert.equal(await h.runtime.lifecycle.destroy(t.tenant.id, clusterId), 'deleted');
  assert.equal(await lookupOf(ak.body.id), undefined, 'cluster deletion removed the agent key lookup');
  assert.equal((await h.request('POST', '/agent/v1/token', { token: ak.body.secret })).status, 401);

  const initialKeyId = (await h.request('GET', '/v1/api-keys', { token: t.key })).body.items.map((k: { id: string }) => k.id);
  assert.equal((await h.request('DELETE', `/admin/v1/tenants/${t.tenant.id}`, { token: admin })).status, 202);
  assert.equal(await h.runtime.services.tenants.purge(t.tenant.id), 'purged');
  for (const id of initialKeyId) assert.equal(await lookupOf(id), undefined, `tenant purge removed the lookup of ${id}`);
});
