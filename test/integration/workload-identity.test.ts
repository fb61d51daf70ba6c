import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { startStsStandIn, type IssuedCredentials, type StsStandIn } from '../sim/sts';
import { identitySigner, type AgentRoleIdentity, type SignedIdentityRequest } from '../sim/agent-identity';
import { freePort } from '../../infra/local/free-port';

// POST /agent/v1/token with a workload identity: every way it must refuse, and what it grants.

const ACCOUNT = '123456789012';
const AGENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/warp-agents-prod`;
let sts: StsStandIn;
let h: Harness;
let audience: string;
/** The control plane's clock runs this far ahead of the wall clock (rule expiry without sleeping). */
let skew = 0;

before(async () => {
  sts = await startStsStandIn();
  for (const arn of [AGENT_ROLE, `arn:aws:iam::${ACCOUNT}:role/billing-app`, `arn:aws:iam::${ACCOUNT}:role/warp-readers-1`, 'arn:aws:iam::222222222222:role/warp-agents-prod']) sts.createRole(arn);
  h = await startHarness({ env: { HM_STS_ENDPOINT: sts.url }, clock: { now: () => Date.now() + skew } });
  audience = h.config.identity.audience;
});
after(async () => {
  await h.close();
  await sts.close();
});

async function clusterWithRule(name: string, rules: Record<string, unknown>[] = [{ roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/warp-agents-*`, access: 'read-write' }]) {
  const { key, tenant } = await h.createTenant('pro', `${name} Co`);
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name) });
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  const ids: string[] = [];
  for (const r of rules) {
    const res = await h.request('POST', `/v1/clusters/${c.body.id}/agent-identities`, { token: key, body: { provider: 'aws', accountId: ACCOUNT, ...r } });
    assert.equal(res.status, 201, res.text);
    ids.push(res.body.id);
  }
  return { key, tenantId: tenant.id as string, clusterId: c.body.id as string, ruleIds: ids };
}

async function sign(clusterId: string, credentials: IssuedCredentials, extra: Partial<AgentRoleIdentity> = {}): Promise<SignedIdentityRequest> {
  const s = identitySigner({ clusterId, credentials, stsEndpoint: sts.url, region: 'us-east-1', audience, ...extra });
  try {
    return await s.sign();
  } finally {
    s.close();
  }
}

const exchange = (body: unknown, headers: Record<string, string> = {}) => h.request('POST', '/agent/v1/token', { body, headers });
const decodeHeaders = (s: SignedIdentityRequest) => JSON.parse(Buffer.from(s.iamRequestHeaders, 'base64').toString()) as Record<string, string>;
const withHeaders = (s: SignedIdentityRequest, headers: Record<string, string>) => ({ ...s, iamRequestHeaders: Buffer.from(JSON.stringify(headers)).toString('base64') });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

test('a role session matching a trust rule gets an agent token naming the role; the agent then works as with a key', async () => {
  const { clusterId, tenantId, ruleIds } = await clusterWithRule('idok');
  const before = sts.count('GetCallerIdentity');
  const res = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE, 'i-0123456789')));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.deepEqual([res.body.clusterId, res.body.tenantId, res.body.access, res.body.subject], [clusterId, tenantId, 'read-write', AGENT_ROLE]);
  assert.equal(sts.count('GetCallerIdentity'), before + 1, 'STS was asked once');
  const claims = claimsOf(res.body.accessToken);
  assert.equal(claims.sub, AGENT_ROLE, 'sub names the role, not the session');
  assert.equal(claims.crd, ruleIds[0]);
  const reg = await h.request('POST', `/agent/v1/clusters/${clusterId}/agents`, {
    token: res.body.accessToken,
    body: { agentId: 'role-1', version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] },
  });
  assert.equal(reg.status, 200, reg.text);
});

test('refusals: wrong account, wrong role, IAM user, unknown cluster — 401 identity_not_trusted, audited with the ARN that tried', async () => {
  const { clusterId, key } = await clusterWithRule('idno');
  const cases: [string, IssuedCredentials][] = [
    ['wrong account', sts.roleCredentials('arn:aws:iam::222222222222:role/warp-agents-prod', 'x-acct')],
    ['wrong role', sts.roleCredentials(`arn:aws:iam::${ACCOUNT}:role/billing-app`, 'x-role')],
    ['IAM user', sts.userCredentials(ACCOUNT, 'warp-agents-prod')],
  ];
  for (const [name, creds] of cases) {
    const res = await exchange(await sign(clusterId, creds));
    assert.equal(res.status, 401, `${name}: ${res.text}`);
    assert.equal(res.body.code, 'identity_not_trusted', name);
  }
  const unknownCluster = await exchange(await sign('vci_01m87drmpqga8tgzsda4hm79fm', sts.roleCredentials(AGENT_ROLE)));
  assert.equal(unknownCluster.body.code, 'identity_not_trusted', 'an unknown cluster looks like an untrusted identity');
  const audit = await h.request('GET', '/v1/audit-events?limit=20', { token: key });
  const tried = audit.body.items.filter((e: { action: string }) => e.action === 'agent_token.exchange');
  assert.deepEqual(
    tried.map((e: { principal: { id: string } }) => e.principal.id).sort(),
    ['arn:aws:iam::123456789012:user/warp-agents-prod', 'arn:aws:sts::123456789012:assumed-role/billing-app/x-role', 'arn:aws:sts::222222222222:assumed-role/warp-agents-prod/x-acct'],
  );
  assert.ok(tried.every((e: { result: string; errorCode: string; principal: { type: string } }) => e.result === 'failure' && e.errorCode === 'identity_not_trusted' && e.principal.type === 'aws-identity'));
});

test('audience: missing, unsigned, for another deployment, or swapped after signing', async () => {
  const { clusterId } = await clusterWithRule('aud');
  const creds = sts.roleCredentials(AGENT_ROLE);
  // Signed without the header at all: a plain SDK GetCallerIdentity request.
  const bare = await sign(clusterId, creds, { audience: '' });
  assert.equal((await exchange(bare)).status, 401);
  assert.equal((await exchange(bare)).body.code, 'audience_missing');
  // Added after signing: present but not covered by the signature.
  const unsigned = await sign(clusterId, creds, { audience: '' });
  assert.equal((await exchange(withHeaders(unsigned, { ...decodeHeaders(unsigned), 'x-harbormaster-audience': audience }))).body.code, 'audience_missing');
  // Signed for someone else: refused here without asking STS.
  const calls = sts.count('GetCallerIdentity');
  const elsewhere = await exchange(await sign(clusterId, creds, { audience: 'https://vault.other-vendor.example' }));
  assert.equal(elsewhere.status, 401);
  assert.equal(elsewhere.body.code, 'audience_mismatch');
  // Signed for someone else, header rewritten to ours: STS finds the signature broken.
  const forged = await sign(clusterId, creds, { audience: 'https://vault.other-vendor.example' });
  const rewritten = await exchange(withHeaders(forged, { ...decodeHeaders(forged), 'x-harbormaster-audience': audience }));
  assert.equal(rewritten.status, 401);
  assert.equal(rewritten.body.code, 'sts_rejected');
  assert.equal(rewritten.body.stsCode, 'SignatureDoesNotMatch');
  assert.equal(sts.count('GetCallerIdentity'), calls + 1, 'only the rewritten one reached STS');
});

test('tampered signed header, replayed signature, stale or future signature', async () => {
  const { clusterId } = await clusterWithRule('fresh');
  const creds = sts.roleCredentials(AGENT_ROLE);
  const signed = await sign(clusterId, creds);
  const tampered = await exchange(withHeaders(signed, { ...decodeHeaders(signed), 'amz-sdk-invocation-id': '00000000-0000-4000-8000-000000000000' }));
  assert.equal(tampered.status, 401);
  assert.equal(tampered.body.stsCode, 'SignatureDoesNotMatch');

  const once = await sign(clusterId, creds);
  assert.equal((await exchange(once)).status, 200);
  const replay = await exchange(once);
  assert.equal(replay.status, 401);
  assert.equal(replay.body.code, 'signature_replayed');

  const stale = await exchange(await sign(clusterId, creds, { clockOffsetMs: -16 * 60_000 }));
  assert.equal(stale.status, 401);
  assert.equal(stale.body.code, 'signature_expired');
  const future = await exchange(await sign(clusterId, creds, { clockOffsetMs: 10 * 60_000 }));
  assert.equal(future.body.code, 'signature_not_yet_valid');
});

test('a request for anything but our STS endpoint is refused and nothing is contacted', async () => {
  const { clusterId } = await clusterWithRule('url');
  let contacted = 0;
  const elsewhere = http.createServer((_req, res) => {
    contacted++;
    res.end();
  });
  await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
  const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  try {
    const creds = sts.roleCredentials(AGENT_ROLE);
    const signedElsewhere = await exchange(await sign(clusterId, creds, { stsEndpoint: other }));
    assert.equal(signedElsewhere.status, 400);
    assert.equal(signedElsewhere.body.code, 'sts_endpoint_not_allowed');
    // Our URL, but a Host header naming another server.
    const good = await sign(clusterId, creds);
    const otherHost = await exchange(withHeaders(good, { ...decodeHeaders(good), host: new URL(other).host }));
    assert.equal(otherHost.body.code, 'sts_endpoint_not_allowed');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const bad: [Record<string, unknown>, string][] = [
      [{ iamRequestUrl: b64('https://sts.amazonaws.com/') }, 'sts_endpoint_not_allowed'],
      [{ iamRequestUrl: b64(`${sts.url}/?Action=AssumeRole`) }, 'sts_endpoint_not_allowed'],
      [{ iamRequestUrl: b64(`http://user@${sts.host}/`) }, 'sts_endpoint_not_allowed'],
      [{ iamRequestUrl: 'not base64!' }, 'invalid_identity_request'],
      [{ iamHttpRequestMethod: 'GET' }, 'invalid_identity_request'],
      [{ iamRequestBody: b64('Action=AssumeRole&Version=2011-06-15&RoleArn=x') }, 'invalid_identity_request'],
      [{ iamRequestHeaders: b64('[1,2]') }, 'invalid_identity_request'],
      [{ iamRequestHeaders: b64('{"Host":"a","host":"b"}') }, 'invalid_identity_request'],
      [{ extra: 'x' }, 'unknown_field'],
      [{ clusterId: 'nope' }, 'invalid_body'],
    ];
    for (const [patch, code] of bad) {
      const res = await exchange({ ...good, ...patch });
      assert.equal(res.status, 400, `${JSON.stringify(patch)}: ${res.text}`);
      assert.equal(res.body.code, code, JSON.stringify(patch));
    }
    const both = await exchange(good, { authorization: 'Bearer hm_ak_x' });
    assert.equal(both.body.code, 'ambiguous_credentials');
    assert.equal(contacted, 0, 'no request ever left for another host');
  } finally {
    elsewhere.close();
  }
});

test('STS trouble: InvalidClientTokenId is a 401; throttling, dropped connections and an unreachable endpoint are retryable 503s', async () => {
  const { clusterId } = await clusterWithRule('trouble');
  const unknownKey = await exchange(await sign(clusterId, { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'x', sessionToken: 'y' }));
  assert.equal(unknownKey.status, 401);
  assert.equal(unknownKey.body.code, 'sts_rejected');
  assert.equal(unknownKey.body.stsCode, 'InvalidClientTokenId');
  const expiredSession = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE, 'old', -60)));
  assert.equal(expiredSession.body.stsCode, 'ExpiredToken');
  for (const fault of ['throttle', 'drop', 'internal-error'] as const) {
    sts.setFault(fault);
    try {
      const res = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE)));
      assert.equal(res.status, 503, `${fault}: ${res.text}`);
      assert.equal(res.body.code, 'sts_unavailable');
      assert.equal(res.body.retryable, true);
      assert.ok(Number(res.headers['retry-after']) >= 1);
    } finally {
      sts.setFault('none');
    }
  }

  // A control plane whose STS endpoint does not answer at all.
  const closed = `http://127.0.0.1:${await freePort()}`;
  const lonely = await startHarness({ env: { HM_STS_ENDPOINT: closed }, workers: false });
  try {
    const s = identitySigner({ clusterId, credentials: sts.roleCredentials(AGENT_ROLE), stsEndpoint: closed, region: 'us-east-1', audience: lonely.config.identity.audience });
    const res = await lonely.request('POST', '/agent/v1/token', { body: await s.sign() });
    s.close();
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.code, 'sts_unavailable');
  } finally {
    await lonely.close();
  }
});

test('grants: the broadest matching rule wins; ? wildcards; expired and deleted rules stop trusting (live tokens revoked)', async () => {
  const { key, clusterId, ruleIds } = await clusterWithRule('grants', [
    { roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/warp-readers-?`, access: 'read-only' },
    { roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/warp-*`, access: 'read-only' },
    { roleArnPattern: `arn:aws:iam::${ACCOUNT}:role/warp-agents-prod`, access: 'read-write' },
  ]);
  const reader = await exchange(await sign(clusterId, sts.roleCredentials(`arn:aws:iam::${ACCOUNT}:role/warp-readers-1`)));
  assert.equal(reader.body.access, 'read-only');
  const writer = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE)));
  assert.equal(writer.body.access, 'read-write');
  assert.equal(claimsOf(writer.body.accessToken).crd, ruleIds[2]);

  // Deleting the rule that granted a live token revokes it within a revocation poll.
  const path = `/agent/v1/clusters/${clusterId}/discovery`;
  assert.equal((await h.request('GET', path, { token: writer.body.accessToken })).status, 200);
  assert.equal((await h.request('DELETE', `/v1/clusters/${clusterId}/agent-identities/${ruleIds[2]}`, { token: key })).status, 200);
  const refused = await h.request('GET', path, { token: writer.body.accessToken });
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 'token_revoked');
  const now = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE)));
  assert.equal(now.body.access, 'read-only', 'the remaining wildcard rule still grants read-only');

  // An expiring rule trusts until its time on the control plane's clock, then no longer.
  const expiring = await clusterWithRule('expiring', []);
  const expiresAt = new Date(h.runtime.clock.now() + 5 * 60_000).toISOString();
  const rule = await h.request('POST', `/v1/clusters/${expiring.clusterId}/agent-identities`, {
    token: expiring.key,
    body: { provider: 'aws', accountId: ACCOUNT, roleArnPattern: AGENT_ROLE, access: 'read-write', expiresAt },
  });
  assert.equal(rule.status, 201, rule.text);
  const trusted = await exchange(await sign(expiring.clusterId, sts.roleCredentials(AGENT_ROLE)));
  assert.equal(trusted.status, 200, trusted.text);
  skew += 5 * 60_000 + 1000; // still well inside a signed request's 15-minute freshness
  assert.equal((await exchange(await sign(expiring.clusterId, sts.roleCredentials(AGENT_ROLE)))).body.code, 'identity_not_trusted');
});

test('a suspended tenant or a deleted cluster refuses trusted identities with the codes agent keys get', async () => {
  const { tenantId, key, clusterId } = await clusterWithRule('status');
  const admin = await h.adminToken();
  await h.request('PATCH', `/admin/v1/tenants/${tenantId}`, { token: admin, body: { status: 'suspended' } });
  const suspended = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE)));
  assert.equal(suspended.status, 403);
  assert.equal(suspended.body.code, 'tenant_suspended');
  await h.request('PATCH', `/admin/v1/tenants/${tenantId}`, { token: admin, body: { status: 'active' } });
  assert.equal((await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE)))).status, 200);
  await h.request('DELETE', `/v1/clusters/${clusterId}`, { token: key });
  const gone = await exchange(await sign(clusterId, sts.roleCredentials(AGENT_ROLE)));
  assert.ok(['cluster_unavailable', 'identity_not_trusted'].includes(gone.body.code), gone.text);
});

test('logs never hold the session token or the signature of a presented identity', async () => {
  const lines: Record<string, unknown>[] = [];
  const logged = await startHarness({ env: { HM_STS_ENDPOINT: sts.url }, logLines: lines, workers: false });
  try {
    const creds = sts.roleCredentials(AGENT_ROLE, 'i-logged');
    const s = identitySigner({ clusterId: 'vci_01m87drmpqga8tgzsda4hm79fm', credentials: creds, stsEndpoint: sts.url, region: 'us-east-1', audience: logged.config.identity.audience });
    const signed = await s.sign();
    s.close();
    await logged.request('POST', '/agent/v1/token', { body: signed });
    await logged.request('POST', '/agent/v1/token', { body: signed });
    const text = JSON.stringify(lines);
    const signature = /Signature=([0-9a-f]{64})/.exec(decodeHeaders(signed).authorization)![1];
    assert.ok(lines.length > 0);
    for (const secret of [creds.sessionToken!, creds.secretAccessKey, signature, signed.iamRequestHeaders]) assert.ok(!text.includes(secret), 'a log line holds a credential');
  } finally {
    await logged.close();
  }
});
