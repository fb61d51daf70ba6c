import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startHarness, type Harness, type Reply } from '../helpers/harness';
import { fillPath, operationsOf, sampleOf, type Operation } from '../helpers/openapi-ops';
import { seeded } from '../helpers/hostile';
import { pathIdsOf, tenantFixture, type TenantFixture } from '../helpers/tenant-fixtures';

/**
 * The cross-tenant matrix, generated from the served OpenAPI document (so a new route is in
 * it without anyone adding it): two tenants with clusters, keys, agents, topics and data, and
 * every operation × every foreign credential and id:
 *
 * - each path id replaced by the other tenant's (or, for agents, the other cluster's), next to
 *   the same request with an id that does not exist: refused, and the two answers identical
 *   (status, code, body fields, detail up to the id);
 * - the other tenant's key, the other cluster's agent token: the same;
 * - a narrower scope, a read-only agent, a viewer admin: writes refused (403);
 * - credentials of another audience, and tokens with the wrong audience: 401.
 *
 * Nothing in any answer to a foreign caller names the victim's ids.
 */
let h: Harness;
let a: TenantFixture;
let b: TenantFixture;
before(async () => {
  h = await startHarness({
    // Hundreds of refused credentials from one address: the harness's failed-auth budget is
    // opened up for this suite (production keeps its default).
    env: { HM_AUTH_FAILURES_PER_MINUTE: '1000000', HM_RATE_LIMIT_PER_MINUTE: '10000000', HM_TOKEN_EXCHANGES_PER_MINUTE: '10000000', HM_HEARTBEATS_PER_INTERVAL: '1000000' },
  });
  a = await tenantFixture(h, 'mxa');
  b = await tenantFixture(h, 'mxb');
});
after(() => h.close());

/** Non-GET agent routes a read-only agent may call (README: what read-only tokens may do). */
const READ_ONLY_AGENT_MAY = new Set([
  'POST /agent/v1/clusters/{clusterId}/agents',
  'POST /agent/v1/clusters/{clusterId}/agents/{agentId}/heartbeat',
  'POST /agent/v1/clusters/{clusterId}/fetch-plan',
  'POST /agent/v1/clusters/{clusterId}/list-offsets',
  'POST /agent/v1/clusters/{clusterId}/files/{fileId}/replica-missing',
]);

const idsOf = pathIdsOf;
const MISSING: Record<string, string> = {
  clusterId: 'vci_01m87drmpqga8tgzsda4hm79fm',
  keyId: 'key_01m87drmpqga8tgzsda4hm79fm',
  agentKeyId: 'akn_01m87drmpqga8tgzsda4hm79fm',
  identityId: 'aid_01m87drmpqga8tgzsda4hm79fm',
  topic: 'no-such-topic',
  group: 'no-such-group',
  agentId: 'no-such-agent',
  fileId: 'no-such-file',
};

const shape = (r: Reply) => Object.keys(r.body ?? {}).filter((k) => k !== 'requestId').sort();
const sameRefusal = (x: Reply, y: Reply, xId: string, yId: string) =>
  x.status === y.status &&
  x.body?.code === y.body?.code &&
  JSON.stringify(shape(x)) === JSON.stringify(shape(y)) &&
  String(x.body?.detail).replaceAll(xId, '<id>') === String(y.body?.detail).replaceAll(yId, '<id>');

test('cross-tenant matrix: every route × every foreign credential and id is refused, and a foreign resource looks missing', async (t) => {
  const doc = (await h.request('GET', '/docs/json')).body;
  const ops = operationsOf(doc).filter((op) => op.audience !== 'public');
  assert.ok(ops.length >= 50, `the document lists the routes (${ops.length})`);
  const r = seeded(7);
  const admin = await h.adminToken(['admin']);
  const viewer = await h.adminToken(['viewer'], 'viewer');
  const issuer = h.runtime.localIssuer!;
  const adminForAgents = await new SignJWT({ roles: ['admin'] })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'admin+jwt', kid: issuer.kid })
    .setIssuer(issuer.issuer)
    .setAudience('agent')
    .setSubject('mallory')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(issuer.privateKey);
  const { kid, privateKey } = await h.runtime.services.signingKeys.current();
  const agentForAdmins = await new SignJWT({ tid: a.tenantId, cid: a.clusterId, acc: 'read-write', roles: ['admin'] })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'agent+jwt' })
    .setIssuer(h.config.publicUrl)
    .setAudience('admin')
    .setSubject(a.agentKeyId)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti('matrix-wrong-audience')
    .sign(privateKey);

  const victimIds = Object.values(idsOf(a)).concat([a.tenantId, a.keyId]);
  const counts = { requests: 0, foreignIdPairs: 0, notFoundPairs: 0, wrongCredential: 0, narrower: 0 };
  const failures: string[] = [];
  const covered = new Set<string>();

  async function send(op: Operation, ids: Record<string, string>, token: string | undefined) {
    const url = fillPath(op.path, ids);
    // The token exchange takes its credential as the bearer or in the body, never both.
    const body = op.body && op.audience !== 'agent-key' ? sampleOf(doc, op.body.schema, r.next) : undefined;
    counts.requests++;
    covered.add(op.key);
    return h.request(op.method, url, { token, body });
  }
  const refused = (res: Reply, what: string, statuses: number[], code?: string) => {
    if (!statuses.includes(res.status) || (code && res.body?.code !== code)) {
      failures.push(`${what}: expected ${statuses.join('|')}${code ? ` ${code}` : ''}, got ${res.status} ${res.text.slice(0, 200)}`);
      return false;
    }
    if (!String(res.headers['content-type']).startsWith('application/problem+json')) failures.push(`${what}: not problem+json`);
    return true;
  };
  const noLeak = (res: Reply, what: string, named: string[] = []) => {
    const leaked = victimIds.filter((id) => !named.includes(id) && res.text.includes(id));
    if (leaked.length) failures.push(`${what}: the answer names the victim's ${leaked.join(', ')}`);
  };

  const ownCredential = (op: Operation, f: TenantFixture) =>
    ({ customer: f.key, admin, agent: f.agentToken, 'agent-key': f.agentKey, public: undefined })[op.audience];

  for (const op of ops) {
    const pathParams = op.params.filter((p) => p.in === 'path').map((p) => p.name);
    const where = (what: string) => `${op.key} [${what}]`;

    // 1. Foreign ids with the attacker's own, valid credential: B's key (or B's agent token) on A's
    //    ids, one id at a time (the others B's own), against the same request with a missing id.
    if (op.audience === 'customer' || op.audience === 'agent') {
      for (const p of pathParams.filter((name) => MISSING[name])) {
        if (op.audience === 'agent' && p !== 'clusterId') continue; // agent tokens are held to their cluster first (below)
        const mine = idsOf(b);
        const foreign = await send(op, { ...mine, [p]: idsOf(a)[p] }, ownCredential(op, b));
        const missing = await send(op, { ...mine, [p]: MISSING[p] }, ownCredential(op, b));
        counts.foreignIdPairs++;
        const what = where(`${p} of the other tenant`);
        if (foreign.status < 400) failures.push(`${what}: accepted (${foreign.status} ${foreign.text.slice(0, 200)})`);
        else if (!sameRefusal(foreign, missing, idsOf(a)[p], MISSING[p])) {
          failures.push(`${what}: distinguishable from a missing one:\n  foreign ${foreign.status} ${foreign.text.slice(0, 240)}\n  missing ${missing.status} ${missing.text.slice(0, 240)}`);
        }
        if (foreign.status === 404) counts.notFoundPairs++;
        noLeak(foreign, what, [idsOf(a)[p]]);
      }
    }

    // 2. Agent tokens are bound to their cluster: the other tenant's and the other cluster's
    //    tokens on A's cluster look exactly like a token naming a cluster that does not exist.
    if (op.audience === 'agent') {
      for (const [name, token] of [['other tenant', b.agentToken], ['other cluster', a.otherClusterAgentToken]] as const) {
        const foreign = await send(op, idsOf(a), token);
        const missing = await send(op, { ...idsOf(a), clusterId: MISSING.clusterId }, token);
        counts.foreignIdPairs++;
        const what = where(`agent token of the ${name}`);
        if (refused(foreign, what, [404]) && !sameRefusal(foreign, missing, a.clusterId, MISSING.clusterId)) {
          failures.push(`${what}: distinguishable from a missing cluster:\n  ${foreign.text.slice(0, 240)}\n  ${missing.text.slice(0, 240)}`);
        }
        if (foreign.status === 404) counts.notFoundPairs++;
        if (name === 'other tenant') noLeak(foreign, what, [a.clusterId]);
      }
    }

    // 3. Narrower credentials on the tenant's own resources: writes refused with 403.
    const write = op.method !== 'GET';
    if (op.audience === 'customer') {
      const res = await send(op, idsOf(a), a.narrowKey);
      counts.narrower++;
      if (write || res.status >= 400) refused(res, where('clusters:read key'), [403], 'insufficient_scope');
    }
    if (op.audience === 'admin' && write) {
      refused(await send(op, { ...idsOf(a), tenantId: a.tenantId, region: 'us-east-1' }, viewer), where('viewer admin'), [403], 'insufficient_role');
      counts.narrower++;
    }
    if (op.audience === 'agent' && write && !READ_ONLY_AGENT_MAY.has(op.key)) {
      refused(await send(op, idsOf(a), a.readOnlyAgentToken), where('read-only agent'), [403], 'read_only_agent');
      counts.narrower++;
    }

    // 4. Credentials of another audience, and tokens with the wrong audience.
    const wrong: [string, string][] =
      op.audience === 'customer'
        ? [['admin token', admin], ['agent token', a.agentToken], ['agent key', a.agentKey]]
        : op.audience === 'admin'
          ? [['API key', a.key], ['agent token', a.agentToken], ['agent token with aud=admin', agentForAdmins], ['agent key', a.agentKey]]
          : op.audience === 'agent'
            ? [['API key', a.key], ['admin token', admin], ['admin token with aud=agent', adminForAgents], ['agent key as a token', a.agentKey]]
            : [['API key', a.key], ['admin token', admin], ['agent token', a.agentToken]];
    for (const [name, token] of wrong) {
      const res = await send(op, { ...idsOf(a), tenantId: a.tenantId, region: 'us-east-1' }, token);
      counts.wrongCredential++;
      refused(res, where(name), [401]);
    }
  }

  t.diagnostic(`${counts.requests} requests over ${covered.size} operations: ${counts.foreignIdPairs} foreign/missing pairs (${counts.notFoundPairs} answered 404), ${counts.narrower} narrower-credential and ${counts.wrongCredential} wrong-audience requests`);
  assert.deepEqual(failures, []);
  assert.equal(covered.size, ops.length);

  // The victim's resources are all still there.
  assert.equal((await h.request('GET', `/v1/clusters/${a.clusterId}`, { token: a.key })).body.status, 'ready');
  assert.equal((await h.request('GET', `/v1/clusters/${a.clusterId}/topics/${a.topic}`, { token: a.key })).status, 200);
  const keys = (await h.request('GET', '/v1/api-keys', { token: a.key })).body.items.map((k: { id: string; status: string }) => `${k.id}:${k.status}`);
  assert.ok(keys.includes(`${a.narrowKeyId}:active`), keys.join());
  assert.equal((await h.request('GET', `/v1/clusters/${a.clusterId}/agent-identities`, { token: a.key })).body.items.length, 1);
  const offsets = await h.request('GET', `/agent/v1/clusters/${a.clusterId}/consumer-groups/${a.group}/offsets`, { token: a.agentToken });
  assert.equal(offsets.body.partitions.find((p: { partition: number }) => p.partition === 0)?.offset, 5);
});
