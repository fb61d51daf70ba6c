import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { fillPath, operationsOf, sampleOf, type Operation } from '../helpers/openapi-ops';
import { HOSTILE_SEGMENTS, forgedTokens, hostileRawBody, hostileValue, mutate, seeded, type Rng } from '../helpers/hostile';
import { storeSnapshots } from '../helpers/store-snapshot';
import { pathIdsOf, tenantFixture, type TenantFixture } from '../helpers/tenant-fixtures';

/**
 * Schema-driven fuzzing: every operation of the served OpenAPI document gets hostile requests
 * built from its own parameters and body schema (wrong types, missing and extra fields, huge
 * and unicode strings, lone surrogates, NaN and negative numbers, deep nesting, wrong content
 * types and encodings, invalid UTF-8, other tenants' ids, forged tokens). Seeded and bounded:
 * HM_FUZZ_REQUESTS (default 2,500 in `npm test`; `npm run fuzz` sends 20,000) and
 * HM_FUZZ_SEED (a failure prints its seed and request number, to replay it).
 *
 * Asserts: never a 5xx; every error is application/problem+json with a stable `code`; the
 * server is healthy afterwards and the fixtures still work; and the stored state is unchanged
 * by every batch of requests that were all refused (the tables are snapshot around each batch).
 */
const REQUESTS = Number(process.env.HM_FUZZ_REQUESTS ?? 2500);
const SEED = Number(process.env.HM_FUZZ_SEED ?? 0x5eed);
/**
 * A time budget too (HM_FUZZ_BUDGET_MS; default 60 s, none under `npm run fuzz`): on a loaded
 * machine the seeded sequence is cut short rather than the file timing out; the count sent is
 * reported, and at least three rounds over every operation must fit.
 */
const BUDGET_MS = Number(process.env.HM_FUZZ_BUDGET_MS ?? 60_000);
const BATCH = 10;

let h: Harness;
let a: TenantFixture;
let b: TenantFixture;
/** A tenant only the admin routes aim at, so that a mutation that happens to be valid harms no fixture. */
let spareTenantId: string;
before(async () => {
  h = await startHarness({
    // Thousands of bad credentials from one address are this suite's point: the harness's
    // failed-auth and request budgets are opened up (production keeps its defaults).
    env: {
      HM_AUTH_FAILURES_PER_MINUTE: '1000000',
      HM_RATE_LIMIT_PER_MINUTE: '10000000',
      HM_TOKEN_EXCHANGES_PER_MINUTE: '10000000',
      HM_HEARTBEATS_PER_INTERVAL: '1000000',
      // The log's upkeep (retention, group expiry, file deletion) appends to journals on its
      // own; an accepted fuzz request may have set a cluster's retention to its minimum. Off
      // for the run, so that a journal entry that appears was a request's doing.
      HM_MAINTENANCE_EVERY_MS: '3600000',
      // The liveness sweep (real clock) would mark the fixtures' silent agents dead 30 s in, a
      // write no request made; at 5 min intervals that takes 30 min, longer than any run.
      HM_HEARTBEAT_INTERVAL_MS: '300000',
    },
  });
  a = await tenantFixture(h, 'fza');
  b = await tenantFixture(h, 'fzb');
  spareTenantId = (await h.createTenant('dev', 'Spare')).tenant.id;
});
after(() => h.close());

type Req = { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer; note: string };

test(`fuzz: ${REQUESTS} hostile requests over every operation of the OpenAPI document (seed ${SEED})`, async (t) => {
  const doc = (await h.request('GET', '/docs/json')).body;
  const ops = operationsOf(doc);
  assert.ok(ops.length >= 50, `the document lists the routes (${ops.length})`);
  const r = seeded(SEED);
  const adminToken = await h.adminToken();
  const forged = await forgedTokens(h, { tenantId: a.tenantId, clusterId: a.clusterId, agentKeyId: a.agentKeyId, foreignTenantId: b.tenantId });
  const forgedList = Object.entries(forged);

  const validCredential: Record<Operation['audience'], string | undefined> = {
    public: undefined,
    customer: a.key,
    admin: adminToken,
    agent: a.agentToken,
    'agent-key': a.agentKey,
  };
  const own = (f: TenantFixture): Record<string, string> => ({
    ...pathIdsOf(f),
    tenantId: f.tenantId,
    region: 'us-east-1',
    jobId: 'job_01m87drmpqga8tgzsda4hm79fm',
  });
  const mine: Record<string, string> = { ...own(a), tenantId: spareTenantId };
  const theirs = own(b);
  const missing = (name: string, v: string | undefined) => (v && /_[0-9a-z]{26}$/.test(v) ? v.replace(/[0-9a-z]{26}$/, '01m87drmpqga8tgzsda4hm79fm') : `no-such-${name.toLowerCase()}`);

  function pathValue(op: Operation, name: string): { value: string; raw: boolean } {
    const roll = r.int(10);
    // Own ids make the body and query reachable; never for a DELETE or a POST without a body
    // (a region drain), where a valid request would tear the fixtures down.
    const ownAllowed = op.method !== 'DELETE' && !(op.method === 'POST' && !op.body);
    if (roll < 5 && ownAllowed && mine[name]) return { value: mine[name], raw: false };
    if (roll < 7 && theirs[name]) return { value: theirs[name], raw: false };
    if (roll < 8) return { value: missing(name, mine[name]), raw: false };
    return { value: r.pick(HOSTILE_SEGMENTS), raw: true };
  }

  /** Percent-encodes; a lone surrogate goes out as the bytes UTF-8 would give it (invalid UTF-8 on purpose). */
  const enc = (s: string) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
    }
  };

  function queryOf(op: Operation): string {
    const parts: string[] = [];
    for (const p of op.params.filter((x) => x.in === 'query')) {
      if (!p.required && r.chance(0.5)) continue;
      const v = r.chance(0.5) ? sampleOf(doc, p.schema, r.next) : hostileValue(r);
      const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
      parts.push(`${enc(p.name)}=${enc(s.slice(0, 3000))}`);
      if (r.chance(0.05)) parts.push(`${encodeURIComponent(p.name)}=2`);
    }
    if (r.chance(0.1)) parts.push(`${r.pick(['extra', 'tenantId', '__proto__[x]', 'limit[]'])}=${r.pick(['1', '%ff', 'x'])}`);
    return parts.length ? `?${parts.join('&')}` : '';
  }

  function build(op: Operation): Req {
    const headers: Record<string, string> = {};
    let note = '';
    // Credentials: mostly the right one for the audience (to get past auth into validation), else a forgery.
    const valid = validCredential[op.audience];
    if (r.chance(0.2) || !valid) {
      if (r.chance(0.85)) {
        const [name, token] = r.pick(forgedList);
        headers.authorization = `Bearer ${token}`;
        note += `token=${name} `;
      } else {
        headers.authorization = r.pick(['Basic Zm9vOmJhcg==', 'Bearer', 'Bearer  x', 'bearer x', `Bearer ${'x'.repeat(5000)}`]);
        note += 'malformed authorization ';
      }
    } else headers.authorization = `Bearer ${valid}`;
    const values: Record<string, string> = {};
    let raw = false;
    for (const p of op.params.filter((x) => x.in === 'path')) {
      const v = pathValue(op, p.name);
      values[p.name] = v.raw ? v.value : enc(v.value);
      raw = true;
    }
    const url = (raw ? fillPath(op.path, values, true) : op.path) + queryOf(op);
    for (const p of op.params.filter((x) => x.in === 'header')) {
      if (r.chance(0.5)) headers[p.name] = String(r.chance(0.5) ? r.pick(['has space', 'x'.repeat(300), '', 'é', '\t']) : sampleOf(doc, p.schema, r.next)).replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
    }
    let payload: string | Buffer | undefined;
    const withBody = op.body || r.chance(0.15);
    if (withBody) {
      if (r.chance(0.25)) {
        const rawBody = hostileRawBody(r);
        payload = rawBody.payload;
        if (rawBody.contentType) headers['content-type'] = rawBody.contentType;
        Object.assign(headers, rawBody.headers);
        note += `raw body (${rawBody.contentType ?? 'no type'}${rawBody.headers ? ` ${JSON.stringify(rawBody.headers)}` : ''}) `;
      } else {
        const base = op.body ? sampleOf(doc, op.body.schema, r.next) : {};
        payload = JSON.stringify(mutate(r, base)) ?? 'null';
        headers['content-type'] = 'application/json';
      }
    }
    return { method: op.method, url, headers, payload, note };
  }

  const started = performance.now();
  const snapshots = storeSnapshots(h, (table, item) => VOLATILE(table, item));
  t.after(() => snapshots.close());
  const statuses = new Map<number, number>();
  const codes = new Map<string, number>();
  const covered = new Set<string>();
  const reachedValidation = new Set<string>();
  let sent = 0;
  const slowest: { ms: number; what: string }[] = [];
  let snapshotMs = 0;
  let comparedBatches = 0;
  const failures: string[] = [];

  // Each batch's closing snapshot opens the next; a batch after an accepted mutation is not
  // compared either (a create's worker may still be finishing it).
  // Scans grow with the audit trail: long runs compare one batch in four.
  const compareEvery = REQUESTS > 3000 ? 4 : 1;
  let before: Map<string, string> | undefined;
  let settling = false;
  for (let batchStart = 0, k = 0; batchStart < REQUESTS; batchStart += BATCH, k++) {
    // The budget never cuts the run below three rounds over every operation.
    if (BUDGET_MS > 0 && performance.now() - started > BUDGET_MS && sent >= 3 * ops.length) break;
    const compare = k % compareEvery === 0;
    if (compare && !before) {
      const s0 = performance.now();
      before = await snapshots.take();
      snapshotMs += performance.now() - s0;
    }
    let mutated = false;
    const log: string[] = [];
    for (let i = batchStart; i < Math.min(REQUESTS, batchStart + BATCH); i++) {
      const op = ops[i % ops.length];
      const req = build(op);
      let res;
      const t0 = performance.now();
      try {
        res = await h.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.payload });
      } catch (e) {
        // light-my-request refuses some of what we build (an invalid header value) before any
        // server code runs: not a request the server saw.
        log.push(`#${i} not sent: ${(e as Error).message}`);
        continue;
      }
      sent++;
      const ms = performance.now() - t0;
      slowest.push({ ms, what: `${req.method} ${op.path} ${res.statusCode} ${req.note}` });
      covered.add(op.key);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const where = `#${i} ${req.method} ${req.url.slice(0, 160)} ${req.note}(seed ${SEED})`;
      log.push(`${where} → ${res.statusCode}`);
      if (res.statusCode >= 500) failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      if (res.statusCode >= 400) {
        let body: any;
        try {
          body = JSON.parse(res.body);
        } catch {
          body = undefined;
        }
        if (!String(res.headers['content-type']).startsWith('application/problem+json') || typeof body?.code !== 'string' || !/^[a-z0-9_]+$/.test(body.code) || body.status !== res.statusCode) {
          failures.push(`${where}: ${res.statusCode} not a problem document with a code: ${res.headers['content-type']} ${res.body.slice(0, 200)}`);
        } else {
          codes.set(body.code, (codes.get(body.code) ?? 0) + 1);
          if (![401, 403, 404, 429].includes(res.statusCode)) reachedValidation.add(op.key);
        }
      } else {
        reachedValidation.add(op.key);
        if (req.method !== 'GET') mutated = true;
      }
      if (failures.length >= 20) break;
    }
    if (failures.length >= 20) break;
    // Only batches of refusals are compared: an accepted mutation is allowed to change things.
    if (!compare || !before) {
      settling = mutated || (settling && !compare);
      before = undefined;
      continue;
    }
    const s1 = performance.now();
    const now = await snapshots.take();
    snapshotMs += performance.now() - s1;
    if (!mutated && !settling) {
      // Trimming removes journal entries below a snapshot in the background: not a change of state.
      const diff = snapshots.diff(before, now).filter((d) => !/^- \S*metadata \S+ J#/.test(d));
      comparedBatches++;
      if (diff.length > 0) failures.push(`stored state changed by refused requests:\n${diff.slice(0, 10).join('\n')}\nrequests:\n${log.join('\n')}`);
    }
    settling = mutated;
    before = now;
  }
  const seconds = (performance.now() - started) / 1000;

  t.diagnostic(`sent ${sent} requests in ${seconds.toFixed(1)} s over ${covered.size}/${ops.length} operations (seed ${SEED}); ${comparedBatches} all-refused batches had their stored state compared`);
  slowest.sort((x, y) => y.ms - x.ms);
  t.diagnostic(`snapshots took ${(snapshotMs / 1000).toFixed(1)} s; slowest requests: ${slowest.slice(0, 8).map((x) => `${x.ms.toFixed(0)} ms ${x.what}`).join('; ')}`);
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((x, y) => x[0] - y[0])))}`);
  t.diagnostic(`codes: ${JSON.stringify(Object.fromEntries([...codes].sort((x, y) => y[1] - x[1])))}`);
  t.diagnostic(`operations whose validation or handler was reached: ${reachedValidation.size}/${ops.length}`);
  assert.deepEqual(failures, []);
  assert.equal(covered.size, ops.length, 'every operation was exercised');
  assert.ok(sent >= 3 * ops.length, `at least three rounds over every operation (${sent} sent)`);

  // Healthy afterwards, and the fixtures still serve.
  assert.equal((await h.request('GET', '/healthz')).status, 200);
  assert.equal((await h.request('GET', '/readyz')).status, 200);
  assert.equal((await h.request('GET', `/v1/clusters/${a.clusterId}`, { token: a.key })).status, 200);
  const token = await h.request('POST', '/agent/v1/token', { token: a.agentKey });
  assert.equal(token.status, 200, token.text);
  const plan = await h.request('POST', `/agent/v1/clusters/${a.clusterId}/fetch-plan`, {
    token: token.body.accessToken,
    body: { partitions: [{ topic: a.topic, partition: 0, offset: 0, maxBytes: 1_000_000 }], maxBytes: 1_000_000 },
  });
  assert.equal(plan.status, 200, plan.text);
  // Accepted fuzz requests may have deleted records (the log start moves) or the topic itself;
  // what they cannot do is lose the high watermark of a partition that still exists.
  const p0 = plan.body.partitions[0];
  assert.ok(p0.highWatermark >= 1 || p0.error === 'UNKNOWN_TOPIC_OR_PARTITION', `the committed data is accounted for: ${JSON.stringify(p0).slice(0, 300)}`);
});

/**
 * Items the control plane rewrites on its own, whatever the requests: audit events (refused
 * mutations are audited, by design), usage counts, region beats, metadata leases, journals and
 * snapshots (pointer and `S#<seq>#<chunk>` chunks) written by leader duties, and signing keys (the rotation worker).
 */
function VOLATILE(table: string, item: Record<string, any>): boolean {
  const pk = String(item.pk ?? '');
  const sk = String(item.sk ?? '');
  if (/AUDIT|USAGE|REGION|SIGNING|STATS/i.test(pk) || /AUDIT|USAGE|REGION|SIGNING|STATS/i.test(sk)) return true;
  // services/metadata/keys.ts: the lease (renewed), snapshot pointer and chunks (a re-encoding
  // of the state, written every N entries or T seconds), the leader's file counts.
  return table.endsWith('metadata') && (sk === 'LEASE' || sk === 'SNAP' || sk === 'STATS' || sk.startsWith('S#'));
}
