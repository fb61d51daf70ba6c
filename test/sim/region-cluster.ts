import { ApiError, httpJson } from './regional-client';
import type { RegionLayout } from './region-layout';
import type { BucketOf } from './region-buckets';

/**
 * An enterprise tenant with a ready three-region cluster (write quorum 2), one topic and a
 * read-write agent key, made through the public API of whichever region's node answers.
 */
export interface RegionCluster {
  tenantId: string;
  tenantKey: string;
  clusterId: string;
  agentKey: string;
  /** The cluster's regions in its order: the first is the preferred leader region. */
  regions: string[];
  buckets: BucketOf[];
  topic: string;
  partitions: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One call to the first region whose node answers (setup is not the thing under test). */
export async function callAny(layout: RegionLayout, method: string, path: string, token: string, body?: unknown): Promise<any> {
  let last: unknown;
  for (let round = 0; round < 40; round++) {
    for (const region of layout.regions) {
      if (!layout.isRunning(region)) continue;
      try {
        const res = await httpJson(method, layout.url(region) + path, { authorization: `Bearer ${token}` }, body, 5000);
        if (res.ok) return res.body;
        if (res.status < 500) throw new ApiError(res.status, res.body?.code ?? 'unknown', res.body);
        last = new ApiError(res.status, res.body?.code, res.body);
      } catch (e) {
        if (e instanceof ApiError && e.status < 500) throw e;
        last = e;
      }
    }
    await sleep(250);
  }
  throw last;
}

export async function setupRegionCluster(layout: RegionLayout, o: { name: string; regions?: string[]; partitions?: number }): Promise<RegionCluster> {
  const regions = o.regions ?? layout.regions;
  const admin = await layout.adminToken();
  const { tenant, apiKey } = await callAny(layout, 'POST', '/admin/v1/tenants', admin, { name: `${o.name} Inc`, tier: 'enterprise' });
  const buckets = regions.map((region) => ({ region, url: `s3://${o.name}-${region}/data` }));
  const cluster = await callAny(layout, 'POST', '/v1/clusters', apiKey.secret, {
    name: o.name,
    regions,
    storage: { buckets, writeQuorum: 2 },
    config: { defaultPartitions: 1 },
  });
  for (let i = 0; (await callAny(layout, 'GET', `/v1/clusters/${cluster.id}`, apiKey.secret)).status !== 'ready'; i++) {
    if (i > 300) throw new Error(`cluster ${cluster.id} did not become ready`);
    await sleep(100);
  }
  const partitions = o.partitions ?? 6;
  const topic = 'events';
  // Creating the topic makes some node lead the cluster; a topic that already exists was created by an earlier attempt.
  try {
    await callAny(layout, 'POST', `/v1/clusters/${cluster.id}/topics`, apiKey.secret, { name: topic, partitions });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'topic_exists')) throw e;
  }
  const agentKey = (await callAny(layout, 'POST', `/v1/clusters/${cluster.id}/agent-keys`, apiKey.secret, { name: 'agents', access: 'read-write' })).secret;
  return { tenantId: tenant.id, tenantKey: apiKey.secret, clusterId: cluster.id, agentKey, regions, buckets, topic, partitions };
}
