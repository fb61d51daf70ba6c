import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readyCluster } from './agent-cluster';
import type { Harness } from './harness';

/** Builders for the agent-job tests: a cluster with small files, agents with the jobs role, poll/complete over HTTP. */
export const JOB_ENV = {
  HM_FILE_DELETE_GRACE_MS: '0',
  HM_JOB_LEASE_MS: '2000',
  HM_JOB_MAX_ATTEMPTS: '3',
  HM_JOB_BACKOFF_MS: '10',
  // Failed work is planned again at once unless a test says otherwise.
  HM_JOB_REPLAN_AFTER_FAILURE_MS: '0',
  HM_COMPACTION_MIN_FILES: '3',
  HM_ORPHAN_GRACE_MS: '60000',
  // Planning is driven by the tests (runtime.planAgentJobs), not by the schedule.
  HM_JOB_PLAN_EVERY_MS: '3600000',
};

export async function jobsCluster(h: Harness, name: string) {
  const c = await readyCluster(h, name, { topics: [{ name: 'events', partitions: 2 }] });
  const bucket = `s3://acme-${name}/data`;
  const tenantId = (await h.request('GET', `/v1/clusters/${c.clusterId}`, { token: c.key })).body.tenantId as string;
  const register = async (agentId: string, roles = ['jobs'], token = c.token) => {
    const r = await h.request('POST', `/agent/v1/clusters/${c.clusterId}/agents`, {
      token,
      body: { agentId, version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles },
    });
    assert.equal(r.status, 200, r.text);
  };
  /** Commits a small file holding one batch for each partition given. */
  const commit = async (partitions = [0], fileId = `f-${randomUUID()}`) => {
    const batches = partitions.map((partition, i) => ({ topic: 'events', partition, byteOffset: i * 100, byteLength: 100, recordCount: 2, maxTimestamp: Date.now() }));
    const r = await h.request('POST', `/agent/v1/clusters/${c.clusterId}/files`, {
      token: c.token,
      body: { fileId, objectKey: `segments/${fileId}`, sizeBytes: 100 * partitions.length, replicas: [{ region: 'us-east-1', bucket, checksum: `sha256:${fileId}` }], batches },
    });
    assert.equal(r.status, 200, r.text);
    return fileId;
  };
  const jobs = `/agent/v1/clusters/${c.clusterId}/jobs`;
  const poll = (agentId: string, waitMs = 0, token = c.token) => h.request('POST', `${jobs}/poll`, { token, body: { agentId, waitMs } });
  const complete = (jobId: string, leaseToken: string, result: unknown) => h.request('POST', `${jobs}/${jobId}/complete`, { token: c.token, body: { leaseToken, result } });
  const fail = (jobId: string, leaseToken: string, retryable: boolean, error = 'disk full') => h.request('POST', `${jobs}/${jobId}/fail`, { token: c.token, body: { leaseToken, error, retryable } });
  const heartbeat = (jobId: string, leaseToken: string) => h.request('POST', `${jobs}/${jobId}/heartbeat`, { token: c.token, body: { leaseToken } });
  const list = (query = '') => h.request('GET', `/v1/clusters/${c.clusterId}/jobs${query}`, { token: c.key });
  const fetchPlan = () =>
    h.request('POST', `/agent/v1/clusters/${c.clusterId}/fetch-plan`, { token: c.token, body: { partitions: [0, 1].map((partition) => ({ topic: 'events', partition, offset: 0, maxBytes: 1e8 })), maxBytes: 1e8 } });
  /** Polls until a job of `type` comes (others are failed for good), or throws. */
  const take = async (agentId: string, type: string) => {
    for (let i = 0; i < 20; i++) {
      const r = await poll(agentId, 2000);
      if (r.status === 204) continue;
      assert.equal(r.status, 200, r.text);
      if (r.body.type === type) return r.body;
      // Other work (orphan scans) is finished with an empty result so that it does not get in the way.
      if (r.body.type === 'orphan-scan') assert.equal((await complete(r.body.jobId, r.body.leaseToken, { objects: [] })).status, 200);
      else assert.equal((await fail(r.body.jobId, r.body.leaseToken, false, 'not in this test')).status, 200);
    }
    throw new Error(`no ${type} job came`);
  };
  return { ...c, tenantId, bucket, register, commit, poll, complete, fail, heartbeat, list, fetchPlan, take };
}

/** An honest compaction result for a leased compaction job: the batches copied back to back. */
export function compactionResultFor(job: any, bucket: string, fileId = `c-${randomUUID()}`) {
  let at = 0;
  const batches = job.payload.batches.map((b: any) => {
    const out = { baseOffset: b.baseOffset, lastOffset: b.lastOffset, inputFileId: b.fileId, inputByteOffset: b.byteOffset, byteOffset: at, byteLength: b.byteLength };
    at += b.byteLength;
    return out;
  });
  return { fileId, objectKey: `segments/${fileId}`, sizeBytes: at, replicas: [{ region: 'us-east-1', bucket, checksum: 'sha256:c' }], segments: [{ topic: job.payload.topic, partition: job.payload.partition, batches }] };
}
