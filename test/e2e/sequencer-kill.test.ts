import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenCli, http, startServerProcess } from '../helpers/server-process';
import { eventually, singleRegionCluster } from '../helpers/harness';
import { freePort } from '../../infra/local/free-port';
import { ApiError, ReferenceAgent } from '../sim/agent';
import { LocalBucket } from '../sim/bucket';
import { produceFile, type ProducedBatch } from '../sim/producer';

const PARTITIONS = 8;

test('SIGKILL mid-stream: every acknowledged commit survives with its offsets; offsets stay contiguous', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-kill-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { HM_DATA_DIR: dataDir, HM_LEASE_MS: '2000', LOG_LEVEL: 'warn' };
  const s1 = await startServerProcess(env);
  const admin = adminTokenCli(env).token;
  const { apiKey } = (await http(`${s1.url}/admin/v1/tenants`, 'POST', admin, { name: 'Kill', tier: 'pro' })).body;
  const key = apiKey.secret as string;
  const cluster = (await http(`${s1.url}/v1/clusters`, 'POST', key, singleRegionCluster('kill'))).body;
  await eventually(async () => (await http(`${s1.url}/v1/clusters/${cluster.id}`, 'GET', key)).body.status === 'ready', 15_000);
  assert.equal((await http(`${s1.url}/v1/clusters/${cluster.id}/topics`, 'POST', key, { name: 'events', partitions: PARTITIONS })).status, 201);
  const agentKey = (await http(`${s1.url}/v1/clusters/${cluster.id}/agent-keys`, 'POST', key, { name: 'k', access: 'read-write' })).body.secret as string;
  const bucket = new LocalBucket(path.join(dataDir, 'bucket'), 'us-east-1', 's3://acme-kill/data');

  // Eight producers commit as fast as they can; the server is killed while they do.
  const acked: ProducedBatch[] = [];
  const ackedBodies: { body: unknown; results: unknown }[] = [];
  let stop = false;
  const producers = Array.from({ length: 8 }, async (_, w) => {
    const agent = new ReferenceAgent({ baseUrl: s1.url, agentKey, agentId: `w${w}` });
    for (let i = 0; !stop; i++) {
      const parts = [0, 1, 2].map((k) => ({ topic: 'events', partition: (w + i + k * 3) % PARTITIONS, records: 1 + ((w + i + k) % 5) }));
      try {
        const { produced, body, out } = await produceFile(agent, bucket, parts);
        acked.push(...produced);
        ackedBodies.push({ body, results: out.results });
      } catch {
        return; // the server is gone: what was not acknowledged may or may not be there
      }
    }
  });
  await eventually(async () => acked.length >= 150, 20_000, 20);
  assert.equal(await s1.stop('SIGKILL'), 'SIGKILL');
  stop = true;
  await Promise.all(producers);
  t.diagnostic(`acknowledged before the kill: ${acked.length} batches in ${ackedBodies.length} files`);

  const s2 = await startServerProcess(env);
  try {
    const reader = new ReferenceAgent({ baseUrl: s2.url, agentKey, agentId: 'reader' });
    // Same data directory, same node id: the restarted node takes its lease over at once.
    const plan = await eventually(async () => {
      try {
        return await reader.fetchPlan({ partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ topic: 'events', partition: p, offset: 0, maxBytes: 1 << 30 })), maxBytes: 2 ** 31 - 1 });
      } catch {
        return undefined;
      }
    }, 20_000, 200);
    for (const part of plan.partitions) {
      let next = 0;
      for (const b of part.batches) {
        assert.equal(b.baseOffset, next, `partition ${part.partition}: offsets contiguous and unique`);
        next = b.lastOffset + 1;
      }
      assert.equal(next, part.highWatermark);
    }
    for (const a of acked) {
      const found = plan.partitions[a.partition].batches.find((b: { baseOffset: number }) => b.baseOffset === a.baseOffset);
      assert.ok(found, `acknowledged batch ${a.partition}@${a.baseOffset} survived`);
      assert.deepEqual([found.lastOffset, found.objectKey, found.byteOffset], [a.lastOffset, a.objectKey, a.byteOffset]);
      assert.equal(bucket.read(found.objectKey, found.byteOffset, found.byteLength).subarray(0, 32).toString('latin1'), a.head);
    }
    // A producer retrying an acknowledged file after the crash gets the same offsets back.
    const retry = await reader.commitFile(ackedBodies[0].body);
    assert.equal(retry.duplicate, true);
    assert.deepEqual(retry.results, ackedBodies[0].results);
  } finally {
    assert.equal(await s2.stop('SIGTERM'), 0);
  }
});

test('kill -9 and restart on the same data directory: the node leads again at once and never sends a client to itself', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-restart-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // A long lease: waiting out the previous run's lease would take 30 s. Same port, so the
  // restarted node advertises the address its previous run held the lease under.
  const env = { HM_DATA_DIR: dataDir, HM_LEASE_MS: '30000', LOG_LEVEL: 'warn', PORT: String(await freePort()) };
  const s1 = await startServerProcess(env);
  const admin = adminTokenCli(env).token;
  const key = (await http(`${s1.url}/admin/v1/tenants`, 'POST', admin, { name: 'Restart', tier: 'pro' })).body.apiKey.secret as string;
  const cluster = (await http(`${s1.url}/v1/clusters`, 'POST', key, singleRegionCluster('restart'))).body;
  await eventually(async () => (await http(`${s1.url}/v1/clusters/${cluster.id}`, 'GET', key)).body.status === 'ready', 15_000);
  assert.equal((await http(`${s1.url}/v1/clusters/${cluster.id}/topics`, 'POST', key, { name: 'events', partitions: 2 })).status, 201);
  const agentKey = (await http(`${s1.url}/v1/clusters/${cluster.id}/agent-keys`, 'POST', key, { name: 'k', access: 'read-write' })).body.secret as string;
  const bucket = new LocalBucket(path.join(dataDir, 'bucket'), 'us-east-1', 's3://acme-restart/data');
  const before = await produceFile(new ReferenceAgent({ baseUrl: s1.url, agentKey, agentId: 'w' }), bucket, [{ topic: 'events', partition: 0, records: 3 }]);
  assert.equal(await s1.stop('SIGKILL'), 'SIGKILL');

  const s2 = await startServerProcess(env);
  try {
    assert.equal(s2.url, s1.url);
    const agent = new ReferenceAgent({ baseUrl: s2.url, agentKey, agentId: 'w' });
    const refusals: { status: number; code: string; leader?: string | null }[] = [];
    const after = await eventually(async () => {
      try {
        return await produceFile(agent, bucket, [{ topic: 'events', partition: 0, records: 2 }]);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        refusals.push({ status: e.status, code: e.code, leader: (e.body as { leader?: string | null })?.leader });
        return undefined;
      }
    }, 60_000, 100);
    assert.deepEqual(refusals, [], 'the restarted node led at once: no refusal, and never not_leader naming itself');
    assert.equal(after.produced[0].baseOffset, before.produced[0].lastOffset + 1, 'offsets continue after the restart');
  } finally {
    assert.equal(await s2.stop('SIGTERM'), 0);
  }
});
