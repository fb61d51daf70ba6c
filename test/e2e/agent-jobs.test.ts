import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../shared/dynamo';
import { scanKeys } from '../../shared/redis';
import { eventually, multiRegionCluster, startHarness, type Harness } from '../helpers/harness';
import { startTcpLink } from '../helpers/tcp-link';
import { ApiError, ReferenceAgent } from '../sim/agent';
import { RegionBuckets } from '../sim/region-buckets';
import { JobRunner } from '../sim/job-runner';
import { decodeBatch, encodeBatch } from '../sim/records';

/**
 * The whole job loop over HTTP with the reference agent, on a three-region cluster whose
 * buckets are local directories: produce small files carrying a canary in every record,
 * consume, let the planners and agents compact, delete, scan for orphans and re-replicate
 * (one agent dies mid-lease on the way), consume again. Then the zero-trust proof: the canary
 * is in no request body the control plane received, no log line, no store item.
 */
const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2'];
const received: Buffer[] = [];
const logLines: Record<string, unknown>[] = [];
let h: Harness;
let link: Awaited<ReturnType<typeof startTcpLink>>;
let root: string;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hm-jobs-e2e-'));
  h = await startHarness({
    logLines,
    env: {
      HM_FILE_DELETE_GRACE_MS: '200',
      // Long leases: a dead agent's job comes back because liveness says so, not by expiry.
      HM_JOB_LEASE_MS: '120000',
      HM_JOB_BACKOFF_MS: '10',
      HM_COMPACTION_MIN_FILES: '3',
      HM_ORPHAN_GRACE_MS: '600000',
      HM_JOB_PLAN_EVERY_MS: '3600000',
      HM_HEARTBEAT_INTERVAL_MS: '300',
      HM_HEARTBEATS_PER_INTERVAL: '4',
    },
  });
  const base = await h.listen();
  const { port } = new URL(base);
  link = await startTcpLink({ host: '127.0.0.1', port: Number(port) }, { record: (b) => received.push(Buffer.from(b)) });
});
after(async () => {
  await link?.close();
  await h?.close();
  rmSync(root, { recursive: true, force: true });
});

test('agents compact, delete, scan for orphans and re-replicate; every offset reads back the same records; the canary never reaches the control plane', { timeout: 600_000 }, async () => {
  const { key } = await h.createTenant('enterprise', 'Jobs Co');
  const spec = multiRegionCluster('jobsrun');
  const c = await h.request('POST', '/v1/clusters', { token: key, body: spec });
  assert.equal(c.status, 202, c.text);
  const clusterId = c.body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready', 30_000);
  assert.equal((await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 'events', partitions: 2 } })).status, 201);
  const agentKey = async (access: string) => (await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: access, access } })).body.secret as string;
  const rw = await agentKey('read-write');
  const buckets = new RegionBuckets(root, spec.storage.buckets);
  const agentIn = (agentId: string, region: string, roles: ('proxy' | 'jobs')[] = ['proxy', 'jobs'], k = rw) =>
    new ReferenceAgent({ baseUrl: link.url, agentKey: k, agentId, region, zone: `${region}a`, roles });

  const producer = agentIn('producer', 'us-east-1', ['proxy']);
  const workers = REGIONS.map((r) => agentIn(`jobs-${r}`, r));
  for (const a of [producer, ...workers]) await a.start();

  // A read-only agent cannot poll.
  const reader = agentIn('reader', 'us-east-1', ['proxy', 'jobs'], await agentKey('read-only'));
  await assert.rejects(reader.pollJob(0), (e: unknown) => e instanceof ApiError && e.status === 403 && e.code === 'read_only_agent');

  // Produce: small files, each with a batch for both partitions, every record carrying the canary.
  const files: string[] = [];
  let seq = 0;
  for (let i = 0; i < 8; i++) {
    const fileId = `small-${i}-${randomUUID()}`;
    const objectKey = `segments/${fileId}`;
    const parts = [0, 1].map(() => encodeBatch(CANARY, 'p', (seq += 3) - 3, 3));
    const replicas = await buckets.write(objectKey, Buffer.concat(parts), 2);
    const out = await producer.commitFile({
      fileId,
      objectKey,
      sizeBytes: parts[0].length + parts[1].length,
      replicas,
      batches: parts.map((p, k) => ({ topic: 'events', partition: k, byteOffset: k * parts[0].length, byteLength: p.length, recordCount: 3, maxTimestamp: Date.now() })),
    });
    assert.ok(out.results.every((r: any) => r.error === undefined), JSON.stringify(out));
    files.push(objectKey);
  }

  // Consume: every offset's records, read from the buckets as a consumer does.
  const consume = async () => {
    const plan = await producer.fetchPlan({ partitions: [0, 1].map((partition) => ({ topic: 'events', partition, offset: 0, maxBytes: 1e8 })), maxBytes: 1e8 });
    const out: Record<string, string> = {};
    for (const p of plan.partitions) {
      for (const b of p.batches) {
        const read = await buckets.read(b.replicas, b.objectKey, b.byteOffset, b.byteLength);
        for (const r of read.unreadable) await producer.reportReplicaMissing(b.fileId, { region: r.region, bucket: r.bucket, reason: 'not_found' });
        assert.ok(read.bytes, `batch ${b.baseOffset} of ${p.partition} unreadable`);
        const records = decodeBatch(CANARY, read.bytes!);
        assert.ok(Array.isArray(records), JSON.stringify(records));
        records.forEach((r, k) => (out[`${p.partition}/${b.baseOffset + k}`] = `${r.producer}:${r.seq}`));
      }
    }
    return out;
  };
  const before = await consume();
  assert.equal(Object.keys(before).length, 8 * 2 * 3);

  // A lost replica (eu-west-1 loses one object); the consumer that finds it gone reports it.
  const lostKey = files[5];
  await buckets.delete('eu-west-1', lostKey);
  const lostFile = lostKey.slice('segments/'.length);
  await producer.reportReplicaMissing(lostFile, { region: 'eu-west-1', bucket: buckets.urlOf('eu-west-1')!, reason: 'not_found' });

  // An old orphan (no record names it) and a fresh object of a commit still in flight.
  await buckets.put('us-east-1', 'segments/orphan-1', encodeBatch(CANARY, 'o', 0, 1));
  await buckets.age('us-east-1', 'segments/orphan-1', Date.now() - 3_600_000);
  await buckets.put('us-east-1', 'segments/in-flight-1', encodeBatch(CANARY, 'f', 0, 1));

  // An agent takes a job and dies: liveness declares it dead, its lease returns at once.
  const doomed = agentIn('doomed', 'us-east-1');
  await doomed.register();
  await h.runtime.planAgentJobs();
  const taken = await doomed.pollJob(5000);
  assert.ok(taken, 'the doomed agent got a job');
  const runners = workers.map((w) => new JobRunner(w, buckets, 2));
  const redone = await eventually(async () => {
    // Others work meanwhile; the doomed agent's job comes back once it is declared dead.
    for (const r of runners) await r.drain(200);
    const view = await h.request('GET', `/v1/clusters/${clusterId}/jobs/${taken.jobId}`, { token: key });
    return view.body.state === 'completed' ? view.body : undefined;
  }, 120_000, 200);
  assert.notEqual(redone.agentId, 'doomed');
  await assert.rejects(doomed.completeJob(taken.jobId, taken.leaseToken, {}), (e: unknown) => e instanceof ApiError && e.status === 409);

  // Plan and work until there is nothing left to do (compaction's old files become due, then are deleted).
  await eventually(async () => {
    await h.runtime.planAgentJobs();
    let n = 0;
    for (const r of runners) n += await r.drain(200);
    // Every region's deletions are their own jobs: wait for all of them, not the first region's.
    for (const region of REGIONS) if ((await buckets.list(region)).some((o) => files.includes(o.objectKey))) return undefined;
    return n === 0 ? true : undefined;
  }, 180_000, 300);

  // Every offset reads back the same records, now from compacted files.
  assert.deepEqual(await consume(), before);
  const plan = await producer.fetchPlan({ partitions: [0, 1].map((partition) => ({ topic: 'events', partition, offset: 0, maxBytes: 1e8 })), maxBytes: 1e8 });
  assert.ok(plan.partitions.every((p: any) => p.batches.every((b: any) => b.fileId.startsWith('compacted-'))), 'every batch was compacted');
  // The old files are gone from every region; the orphan too; the in-flight object stays.
  for (const region of REGIONS) {
    const keys = (await buckets.list(region)).map((o) => o.objectKey);
    assert.ok(!keys.some((k) => files.includes(k)), `${region} still holds an old file`);
  }
  const east = (await buckets.list('us-east-1')).map((o) => o.objectKey);
  assert.ok(!east.includes('segments/orphan-1'), 'the orphan was deleted');
  assert.ok(east.includes('segments/in-flight-1'), 'the fresh object was left alone');
  const totals = runners.reduce((t, r) => {
    for (const [k, v] of Object.entries(r.stats.done)) t[k] = (t[k] ?? 0) + v;
    return t;
  }, {} as Record<string, number>);
  for (const type of ['compaction', 'delete-files', 'orphan-scan', 'replicate']) assert.ok((totals[type] ?? 0) > 0, `no ${type} job ran: ${JSON.stringify(totals)}`);
  // The lost replica was restored before its file was compacted away, or the compacted file has all three.
  const admin = await h.request('GET', '/metrics');
  assert.match(admin.text, /hm_agent_jobs_total\{type="replicate",outcome="completed"\} [1-9]/);

  for (const a of [producer, ...workers]) await a.stop();

  // The zero-trust proof: no canary in what the control plane received, logged or stored.
  const wire = Buffer.concat(received).toString('latin1');
  assert.ok(wire.includes('/jobs/poll') && wire.includes('/files'), 'the recording saw the traffic');
  assert.ok(!wire.includes(CANARY), 'the canary reached the control plane in a request');
  assert.ok(logLines.length > 0);
  assert.ok(!JSON.stringify(logLines).includes(CANARY), 'the canary is in a log line');
  const dynamo = createDynamoClient({ endpoint: h.engines.dynamoEndpoint, region: 'us-east-1' });
  for (const table of [h.runtime.tables.control, h.runtime.tables.metadata]) {
    let start: Record<string, any> | undefined;
    let items = 0;
    do {
      const page: any = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        items++;
        const text = JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
        assert.ok(!text.includes(CANARY), `the canary is in an item of ${table}`);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    assert.ok(items > 0, `${table} was scanned`);
  }
  // Redis (the job queues, heartbeats) holds none either.
  const redisKeys = await scanKeys(h.runtime.redis, `${h.config.queuePrefix}*`);
  for (const k of redisKeys) {
    const type = await h.runtime.redis.type(k);
    const value = type === 'string' ? await h.runtime.redis.get(k) : type === 'hash' ? JSON.stringify(await h.runtime.redis.hgetall(k)) : '';
    assert.ok(!String(value).includes(CANARY), `the canary is in Redis key ${k}`);
  }
});
