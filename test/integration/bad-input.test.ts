import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, generateKeyPair, type CryptoKey } from 'jose';
import { singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
let key: string;
let admin: string;
let clusterId: string;
before(async () => {
  h = await startHarness({ workers: false, env: { HM_BODY_LIMIT_BYTES: '8192' } });
  ({ key } = await h.createTenant('pro'));
  admin = await h.adminToken();
  clusterId = (await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('base') })).body.id;
});
after(() => h.close());

type Case = { name: string; method: string; url: string; token?: 'key' | 'admin' | 'none' | string; body?: unknown; raw?: string; headers?: Record<string, string>; status: number; code: string };

const cluster = (o: Record<string, unknown>) => ({ ...singleRegionCluster('bad'), ...o });
const cases: Case[] = [
  // credentials
  { name: 'no credentials', method: 'GET', url: '/v1/clusters', token: 'none', status: 401, code: 'missing_credentials' },
  { name: 'basic auth', method: 'GET', url: '/v1/clusters', token: 'none', headers: { authorization: 'Basic Zm9vOmJhcg==' }, status: 401, code: 'malformed_credentials' },
  { name: 'not an API key', method: 'GET', url: '/v1/clusters', token: 'hm_sk_short', status: 401, code: 'malformed_credentials' },
  { name: 'bad checksum', method: 'GET', url: '/v1/clusters', token: 'hm_sk_01m87dr64nfd4w3tj4ah64dbxc_aNnggs1EHCgJhPuLXlTHyfv1If8Swktm3HJ9f7', status: 401, code: 'invalid_credentials' },
  { name: 'admin JWT on customer route', method: 'GET', url: '/v1/clusters', token: 'admin', status: 401, code: 'malformed_credentials' },
  { name: 'API key on admin route', method: 'GET', url: '/admin/v1/tenants', token: 'key', status: 401, code: 'malformed_credentials' },
  // bodies
  { name: 'unknown field', method: 'POST', url: '/v1/clusters', body: cluster({ colour: 'red' }), status: 400, code: 'unknown_field' },
  { name: 'missing regions', method: 'POST', url: '/v1/clusters', body: { name: 'x1', storage: singleRegionCluster('x').storage }, status: 400, code: 'invalid_body' },
  { name: 'bad cluster name', method: 'POST', url: '/v1/clusters', body: cluster({ name: 'Bad_Name' }), status: 400, code: 'invalid_body' },
  { name: 'bad tier', method: 'POST', url: '/v1/clusters', body: cluster({ tier: 'platinum' }), status: 400, code: 'invalid_body' },
  { name: 'bad bucket url', method: 'POST', url: '/v1/clusters', body: cluster({ storage: { buckets: [{ region: 'us-east-1', url: 'http://x' }], writeQuorum: 1 } }), status: 400, code: 'invalid_body' },
  { name: 'bucket for other region', method: 'POST', url: '/v1/clusters', body: cluster({ storage: { buckets: [{ region: 'eu-west-1', url: 's3://abc/x' }], writeQuorum: 1 } }), status: 400, code: 'invalid_storage' },
  { name: 'repeated region', method: 'POST', url: '/v1/clusters', body: cluster({ regions: ['us-east-1', 'us-east-1'] }), status: 400, code: 'invalid_regions' },
  { name: 'partitions as string', method: 'POST', url: '/v1/clusters', body: cluster({ config: { defaultPartitions: 'many' } }), status: 400, code: 'invalid_body' },
  { name: 'fractional partitions', method: 'POST', url: '/v1/clusters', body: cluster({ config: { defaultPartitions: 1.5 } }), status: 400, code: 'invalid_body' },
  { name: 'negative partitions', method: 'POST', url: '/v1/clusters', body: cluster({ config: { defaultPartitions: -1 } }), status: 400, code: 'invalid_body' },
  { name: 'quorum 1 of 1 given 2', method: 'POST', url: '/v1/clusters', body: cluster({ storage: { ...singleRegionCluster('q').storage, writeQuorum: 2 } }), status: 400, code: 'invalid_write_quorum' },
  { name: 'body is an array', method: 'POST', url: '/v1/clusters', body: [1, 2], status: 400, code: 'invalid_body' },
  { name: 'malformed JSON', method: 'POST', url: '/v1/clusters', raw: '{"name":', headers: { 'content-type': 'application/json' }, status: 400, code: 'malformed_json' },
  { name: 'text/plain body', method: 'POST', url: '/v1/clusters', raw: 'name=x', headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'form body', method: 'POST', url: '/v1/api-keys', raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'oversized body', method: 'POST', url: '/v1/clusters', raw: JSON.stringify(cluster({ name: 'x'.repeat(10_000) })), headers: { 'content-type': 'application/json' }, status: 413, code: 'payload_too_large' },
  { name: 'empty PATCH', method: 'PATCH', url: '/v1/clusters/{c}', body: {}, status: 400, code: 'invalid_body' },
  { name: 'PATCH immutable regions', method: 'PATCH', url: '/v1/clusters/{c}', body: { regions: ['eu-west-1'] }, status: 400, code: 'unknown_field' },
  { name: 'API key without scopes', method: 'POST', url: '/v1/api-keys', body: { name: 'x', scopes: [] }, status: 400, code: 'invalid_body' },
  { name: 'API key expiry in past', method: 'POST', url: '/v1/api-keys', body: { name: 'x', scopes: ['clusters:read'], expiresAt: '2001-01-01T00:00:00Z' }, status: 400, code: 'invalid_expiry' },
  { name: 'API key expiry not a date', method: 'POST', url: '/v1/api-keys', body: { name: 'x', scopes: ['clusters:read'], expiresAt: 'tomorrow' }, status: 400, code: 'invalid_body' },
  { name: 'API key name with control char', method: 'POST', url: '/v1/api-keys', body: { name: 'a\u0000b', scopes: ['clusters:read'] }, status: 400, code: 'invalid_body' },
  { name: 'tenant without tier', method: 'POST', url: '/admin/v1/tenants', token: 'admin', body: { name: 'x' }, status: 400, code: 'invalid_body' },
  { name: 'tenant status deleting via PATCH', method: 'PATCH', url: '/admin/v1/tenants/{t}', token: 'admin', body: { status: 'deleting' }, status: 400, code: 'invalid_body' },
  { name: 'negative override', method: 'PATCH', url: '/admin/v1/tenants/{t}', token: 'admin', body: { limitOverrides: { clustersPerTenant: -5 } }, status: 400, code: 'invalid_body' },
  { name: 'bad idempotency key', method: 'POST', url: '/v1/api-keys', headers: { 'idempotency-key': 'has space' }, body: { name: 'x', scopes: ['clusters:read'] }, status: 400, code: 'invalid_header' },
  // paths and queries
  { name: 'malformed cluster id', method: 'GET', url: '/v1/clusters/not-an-id', status: 400, code: 'invalid_path' },
  { name: 'wrong id kind', method: 'GET', url: '/v1/clusters/tnt_01m87dr644y195j16x28ewbs40', status: 400, code: 'invalid_path' },
  { name: 'malformed key id', method: 'DELETE', url: '/v1/api-keys/key_!!', status: 400, code: 'invalid_path' },
  { name: 'unknown key id', method: 'DELETE', url: '/v1/api-keys/key_01m87dr64nfd4w3tj4ah64dbxc', status: 404, code: 'api_key_not_found' },
  { name: 'malformed tenant id', method: 'GET', url: '/admin/v1/tenants/123', token: 'admin', status: 400, code: 'invalid_path' },
  { name: 'unknown tenant', method: 'GET', url: '/admin/v1/tenants/tnt_01m87dr644y195j16x28ewbs40', token: 'admin', status: 404, code: 'tenant_not_found' },
  { name: 'limit 0', method: 'GET', url: '/v1/clusters?limit=0', status: 400, code: 'invalid_query' },
  { name: 'limit 101', method: 'GET', url: '/v1/clusters?limit=101', status: 400, code: 'invalid_query' },
  { name: 'limit not a number', method: 'GET', url: '/v1/clusters?limit=ten', status: 400, code: 'invalid_query' },
  { name: 'unknown query param', method: 'GET', url: '/v1/clusters?sort=name', status: 400, code: 'unknown_field' },
  { name: 'garbage cursor', method: 'GET', url: '/v1/clusters?cursor=abc', status: 400, code: 'invalid_cursor' },
  { name: 'tampered cursor', method: 'GET', url: '/v1/clusters?cursor=eyJzIjoieCJ9.AAAAAAAAAAAAAAAAAAAAAA', status: 400, code: 'invalid_cursor' },
  { name: 'bad status filter', method: 'GET', url: '/admin/v1/clusters?status=gone', token: 'admin', status: 400, code: 'invalid_query' },
  { name: 'unknown route', method: 'GET', url: '/v1/nothing', status: 404, code: 'route_not_found' },
];

test('bad input: every case is a 4xx problem+json with its code, and changes nothing', async () => {
  const tenantId = (await h.request('GET', '/v1/tenant', { token: key })).body.id;
  const before = await h.request('GET', '/v1/clusters?includeDeleted=true', { token: key });
  for (const c of cases) {
    const token = c.token === undefined || c.token === 'key' ? key : c.token === 'admin' ? admin : c.token === 'none' ? undefined : c.token;
    const url = c.url.replace('{c}', clusterId).replace('{t}', tenantId);
    const res = await h.request(c.method, url, { token, body: c.body, raw: c.raw, headers: c.headers });
    assert.equal(res.status, c.status, `${c.name}: status (${res.text.slice(0, 200)})`);
    assert.equal(res.body?.code, c.code, `${c.name}: code`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, `${c.name}: content type`);
    assert.equal(res.body.status, c.status);
    assert.ok(res.body.requestId && res.body.type && res.body.title && res.body.detail, `${c.name}: problem fields`);
  }
  const after = await h.request('GET', '/v1/clusters?includeDeleted=true', { token: key });
  assert.deepEqual(after.body, before.body, 'no cluster was created or changed');
  assert.equal((await h.request('GET', '/v1/api-keys', { token: key })).body.items.length, 1, 'no key was created');
});

test('admin tokens: expired, tampered, alg none, wrong audience, foreign key and no role each have their own 401/403', async () => {
  const issuer = h.runtime.localIssuer!;
  const sign = (claims: Record<string, unknown>, o: { aud?: string; exp?: string | number; iss?: string; typ?: string; key?: CryptoKey } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: o.typ ?? 'admin+jwt', kid: issuer.kid })
      .setIssuer(o.iss ?? issuer.issuer)
      .setAudience(o.aud ?? 'admin')
      .setSubject('mallory')
      .setIssuedAt()
      .setExpirationTime(o.exp ?? '5m')
      .sign(o.key ?? issuer.privateKey);
  const good = await sign({ roles: ['admin'] });
  const [h64, p64] = good.split('.');
  const tamperedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p64, 'base64url').toString()), sub: 'root' })).toString('base64url');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'admin+jwt' })).toString('base64url')}.${p64}.`;
  const { privateKey: foreign } = await generateKeyPair('EdDSA');
  const table: [string, string, number, string][] = [
    ['expired', await sign({ roles: ['admin'] }, { exp: Math.floor(Date.now() / 1000) - 60 }), 401, 'token_expired'],
    ['tampered', `${h64}.${tamperedPayload}.${good.split('.')[2]}`, 401, 'invalid_token_signature'],
    ['alg none', none, 401, 'algorithm_not_allowed'],
    ['wrong audience', await sign({ roles: ['admin'] }, { aud: 'agent' }), 401, 'invalid_audience'],
    ['wrong issuer', await sign({ roles: ['admin'] }, { iss: 'evil' }), 401, 'invalid_issuer'],
    ['wrong type', await sign({ roles: ['admin'] }, { typ: 'agent+jwt' }), 401, 'invalid_token_type'],
    ['foreign key', await sign({ roles: ['admin'] }, { key: foreign as CryptoKey }), 401, 'invalid_token_signature'],
    ['no role', await sign({ roles: ['superuser'] }), 403, 'insufficient_role'],
    ['not a JWT', 'abc.def', 401, 'malformed_credentials'],
  ];
  for (const [name, token, status, code] of table) {
    const res = await h.request('GET', '/admin/v1/tenants', { token });
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.body.code, code, name);
  }
  assert.equal((await h.request('GET', '/admin/v1/tenants', { token: good })).status, 200);
});

test('issue 8 #15: a lone UTF-16 surrogate anywhere in a body is a 400 invalid_unicode, and nothing is stored', async () => {
  const tenantId = (await h.request('GET', '/v1/tenant', { token: key })).body.id;
  const keysBefore = (await h.request('GET', '/v1/api-keys', { token: key })).body.items.length;
  const json = 'application/json';
  const cases: [string, string, string, string | undefined][] = [
    ['lone high surrogate in a name', 'POST', '/v1/api-keys', '{"name":"a\\ud800","scopes":["clusters:read"]}'],
    ['lone low surrogate in a name', 'POST', '/v1/api-keys', '{"name":"\\uDC00b","scopes":["clusters:read"]}'],
    ['reversed pair', 'POST', '/v1/api-keys', '{"name":"\\udc00\\ud800","scopes":["clusters:read"]}'],
    ['in an array item', 'POST', '/v1/api-keys', '{"name":"k","scopes":["clusters:read","\\ud83d"]}'],
    ['in an object key', 'POST', '/v1/api-keys', '{"name":"k","scopes":["clusters:read"],"\\ud800":1}'],
    ['deep in a nested value', 'POST', '/v1/clusters', JSON.stringify(cluster({ config: { defaultPartitions: 1 } })).replace('"s3://', '"s3://\\ud800')],
    ['in an admin body', 'PATCH', '/admin/v1/tenants/{t}', '{"name":"x\\udbff"}'],
  ];
  for (const [what, method, url, raw] of cases) {
    const token = url.startsWith('/admin') ? admin : key;
    const res = await h.request(method, url.replace('{t}', tenantId), { token, raw, headers: { 'content-type': json } });
    assert.equal(res.status, 400, `${what}: ${res.text.slice(0, 200)}`);
    assert.equal(res.body.code, 'invalid_unicode', what);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
  assert.equal((await h.request('GET', '/v1/api-keys', { token: key })).body.items.length, keysBefore, 'no key was created');
  assert.notEqual((await h.request('GET', '/v1/tenant', { token: key })).body.name, 'x\udbff');

  // Well-formed text, surrogate pairs included, and an escaped backslash before "u" are fine.
  const emoji = await h.request('POST', '/v1/api-keys', { token: key, raw: '{"name":"rocket \\ud83d\\ude80 \\\\ud800","scopes":["clusters:read"]}', headers: { 'content-type': json } });
  assert.equal(emoji.status, 201, emoji.text);
  assert.equal(emoji.body.name, 'rocket \u{1F680} \\ud800');
  assert.equal((await h.request('DELETE', `/v1/api-keys/${emoji.body.id}`, { token: key })).status, 200);
});

test('issue 8 #15: a body in a Content-Encoding we do not decode is a 415, never misread', async () => {
  const { gzipSync, brotliCompressSync } = await import('node:zlib');
  const body = JSON.stringify({ name: 'zipped', scopes: ['clusters:read'] });
  const before = (await h.request('GET', '/v1/api-keys', { token: key })).body.items.length;
  for (const [encoding, payload] of [
    ['gzip', gzipSync(body)],
    ['br', brotliCompressSync(body)],
    ['deflate', Buffer.from(body)],
    ['GZIP', gzipSync(body)],
    ['identity, gzip', gzipSync(body)],
    ['x-custom', Buffer.from(body)],
  ] as const) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': encoding }, payload });
    assert.equal(res.statusCode, 415, `${encoding}: ${res.body.slice(0, 200)}`);
    assert.equal(res.json().code, 'unsupported_content_encoding', encoding);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.headers['accept-encoding'], 'identity');
  }
  assert.equal((await h.request('GET', '/v1/api-keys', { token: key })).body.items.length, before, 'nothing was created');
  const plain = await h.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': 'identity' }, payload: body });
  assert.equal(plain.statusCode, 201, plain.body);
  await h.request('DELETE', `/v1/api-keys/${plain.json().id}`, { token: key });
});

test('enum and literal-union errors name the allowed values, one line per field', async () => {
  const badTier = await h.request('POST', '/v1/clusters', { token: key, body: cluster({ tier: 'platinum' }) });
  assert.equal(badTier.status, 400);
  assert.deepEqual(badTier.body.errors, [{ path: 'body/tier', message: 'must be one of: "dev", "fundamentals", "pro", "enterprise"' }]);
  const tenantId = (await h.request('GET', '/v1/tenant', { token: key })).body.id;
  const badStatus = await h.request('PATCH', `/admin/v1/tenants/${tenantId}`, { token: admin, body: { status: 'paused' } });
  assert.equal(badStatus.status, 400);
  assert.equal(badStatus.body.detail, 'body/status: must be one of: "active", "suspended"');
  const badAccess = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'x', access: 'admin' } });
  assert.equal(badAccess.body.detail, 'body/access: must be one of: "read-write", "read-only"');
  // A union of other forms collapses into one line too.
  const badRetention = await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 't', partitions: 1, config: { 'retention.ms': 'a week' } } });
  assert.equal(badRetention.body.detail, 'body/config/retention.ms: must be integer, or match pattern "^-?\\d{1,19}$"');
});
