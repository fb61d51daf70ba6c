import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, type Harness } from './harness';

/** A tenant with a ready cluster, a topic, and a read-write agent token, through the public API. */
export async function readyCluster(h: Harness, name: string, opts: { tier?: string; topics?: { name: string; partitions: number; config?: object }[]; config?: object } = {}) {
  const { key } = await h.createTenant(opts.tier ?? 'pro', `${name} Co`);
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster(name, opts.config ? { config: opts.config } : {}) });
  assert.equal(c.status, 202, c.text);
  const clusterId = c.body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready');
  for (const t of opts.topics ?? []) {
    const r = await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: t });
    assert.equal(r.status, 201, r.text);
  }
  const token = async (access = 'read-write') => {
    const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: `k-${access}`, access } });
    const tok = await h.request('POST', '/agent/v1/token', { token: ak.body.secret });
    assert.equal(tok.status, 200, tok.text);
    return tok.body.accessToken as string;
  };
  return { key, clusterId, token: await token(), readOnlyToken: () => token('read-only') };
}

/** Kafka's ConsumerProtocolAssignment (version 0): the partitions of each topic, no user data. */
export function consumerAssignment(topics: Record<string, number[]>): string {
  const parts: Buffer[] = [Buffer.from([0, 0])];
  const count = Buffer.alloc(4);
  count.writeInt32BE(Object.keys(topics).length);
  parts.push(count);
  for (const [topic, partitions] of Object.entries(topics)) {
    const name = Buffer.from(topic);
    const head = Buffer.alloc(2 + name.length + 4);
    head.writeInt16BE(name.length);
    name.copy(head, 2);
    head.writeInt32BE(partitions.length, 2 + name.length);
    parts.push(head);
    for (const p of partitions) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(p);
      parts.push(b);
    }
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts).toString('base64');
}
