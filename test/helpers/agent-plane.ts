import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, type Harness } from './harness';
import { ReferenceAgent } from '../sim/agent';

// Shared by the agent e2e suites (test/e2e/agents*.test.ts): a ready cluster and an agent key on a plane.

export const INTERVAL = 200;
// These tests poll heartbeats far faster than an agent beats: a roomier per-agent budget.
export const AGENT_PLANE_ENV = { HM_HEARTBEAT_INTERVAL_MS: String(INTERVAL), HM_AGENT_RECOMMENDED_VERSION: '1.2.0', HM_HEARTBEATS_PER_INTERVAL: '50' };

export async function readyClusterOn(plane: Harness, key: string, name: string, extra: Record<string, unknown> = {}) {
  const c = await plane.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name, extra) });
  assert.equal(c.status, 202, c.text);
  await eventually(async () => (await plane.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  return c.body.id as string;
}

export async function agentKeyOn(plane: Harness, key: string, clusterId: string, access = 'read-write') {
  const r = await plane.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: `k-${access}`, access } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.body.secret, /^hm_ak_/);
  return r.body as { id: string; secret: string };
}

type AgentOptions = Partial<ConstructorParameters<typeof ReferenceAgent>[0]>;

/**
 * The three calls every agent suite makes, bound to a plane that `before()` starts later:
 * `target` is read at each call, not now.
 */
export function agentPlaneTools(target: () => { plane: Harness; url: string }) {
  return {
    readyCluster: (key: string, name: string, extra: Record<string, unknown> = {}) => readyClusterOn(target().plane, key, name, extra),
    agentKey: (key: string, clusterId: string, access = 'read-write') => agentKeyOn(target().plane, key, clusterId, access),
    agent: (agentKeySecret: string, agentId: string, extra: AgentOptions = {}) =>
      new ReferenceAgent({ baseUrl: target().url, agentKey: agentKeySecret, agentId, ...extra }),
  };
}
