import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterBucket, eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

/**
 * The agent metadata contract as the OpenAPI document states it is the one enforced: for
 * each documented limit, a request at the limit is accepted and one just past it is a 400.
 * Limits are read from /docs/json, not from code, so the document cannot drift from the
 * validators again.
 */
let h: Harness;
let token: string;
let clusterId: string;
let doc: any;
before(async () => {
  h = await startHarness();
  const t = await h.createTenant('pro', 'Contract');
  clusterId = (await h.request('POST', '/v1/clusters', { token: t.key, body: singleRegionCluster('contract', { config: { autoCreateTopics: true, defaultPartitions: 1 } }) })).body.id;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: t.key })).body.status === 'ready');
  const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: t.key, body: { name: 'a', access: 'read-write' } });
  token = (await h.request('POST', '/agent/v1/token', { token: ak.body.secret })).body.accessToken;
  doc = (await h.request('GET', '/docs/json')).body;
});
after(() => h.close());

const bodySchema = (path: string) => doc.paths[`/agent/v1/clusters/{clusterId}/${path}`].post.requestBody.content['application/json'].schema;
let files = 0;
const batch = (o: Record<string, unknown> = {}) => ({ topic: 't', partition: 0, byteOffset: 0, byteLength: 10, recordCount: 1, maxTimestamp: 1, ...o });
const commit = (o: Record<string, unknown> = {}) => ({
  fileId: `f-${++files}`,
  objectKey: `seg/${files}`,
  sizeBytes: 1000,
  replicas: [{ region: 'us-east-1', bucket: clusterBucket('contract'), checksum: 'c' }],
  batches: [batch()],
  ...o,
});
const send = (path: string, body: unknown) => h.request('POST', `/agent/v1/clusters/${clusterId}/${path}`, { token, body });

async function accepted(path: string, body: unknown, what: string) {
  const res = await send(path, body);
  assert.equal(res.status, 200, `${what}: at the documented limit it is accepted (${res.text.slice(0, 300)})`);
  return res.body;
}
async function refused(path: string, body: unknown, what: string) {
  const res = await send(path, body);
  assert.equal(res.status, 400, `${what}: past the documented limit it is refused (${res.text.slice(0, 300)})`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
}

test('issue 8 #8: every limit of the commit contract in the OpenAPI document is the enforced one', async () => {
  const s = bodySchema('files');
  const replica = s.properties.replicas.items.properties;
  const b = s.properties.batches.items.properties;

  const maxBatches = s.properties.batches.maxItems as number;
  const many = (n: number) => commit({ sizeBytes: n * 10, batches: Array.from({ length: n }, (_, i) => batch({ byteOffset: i * 10 })) });
  await accepted('files', many(maxBatches), `batches.maxItems ${maxBatches}`);
  await refused('files', many(maxBatches + 1), `batches.maxItems ${maxBatches}`);

  const fileIdPattern = new RegExp(s.properties.fileId.pattern, 'u');
  const longestId = `a${'b'.repeat(s.properties.fileId.maxLength - 1)}`;
  assert.ok(fileIdPattern.test(longestId) && !fileIdPattern.test('a b') && !fileIdPattern.test('-a'), 'the document states the fileId pattern');
  await accepted('files', commit({ fileId: longestId }), 'fileId at maxLength');
  for (const bad of ['a b', '-a', 'a/b']) await refused('files', commit({ fileId: bad }), `fileId ${bad}`);

  const bucket = clusterBucket('contract');
  for (const [field, schema] of [['bucket', replica.bucket], ['checksum', replica.checksum]] as const) {
    const max = schema.maxLength as number;
    const replicaWith = (value: string) => commit({ replicas: [{ region: 'us-east-1', bucket, checksum: 'c', [field]: value }] });
    if (field === 'bucket') {
      // A bucket at the documented length passes validation and meets the rule that it be the cluster's own.
      const res = await send('files', replicaWith('x'.repeat(max)));
      assert.equal(res.status, 422, `bucket maxLength ${max}: accepted by the schema (${res.text.slice(0, 300)})`);
      assert.equal(res.body.code, 'unknown_replica_bucket');
    } else {
      await accepted('files', replicaWith('x'.repeat(max)), `${field} maxLength ${max}`);
    }
    await refused('files', replicaWith('x'.repeat(max + 1)), `${field} maxLength ${max}`);
    await refused('files', replicaWith('a\u0001b'), `${field} with a control character`);
  }
  const keyMax = s.properties.objectKey.maxLength as number;
  await accepted('files', commit({ objectKey: 'k'.repeat(keyMax) }), 'objectKey maxLength');
  await refused('files', commit({ objectKey: 'k'.repeat(keyMax + 1) }), 'objectKey maxLength');
  await refused('files', commit({ objectKey: 'a\nb' }), 'objectKey with a control character');

  const sizeMax = s.properties.sizeBytes.maximum as number;
  await accepted('files', commit({ sizeBytes: sizeMax }), 'sizeBytes maximum');
  await refused('files', commit({ sizeBytes: sizeMax + 1 }), 'sizeBytes maximum');
  const offsetMax = b.byteOffset.maximum as number;
  await accepted('files', commit({ sizeBytes: sizeMax, batches: [batch({ byteOffset: offsetMax, byteLength: sizeMax - offsetMax })] }), 'byteOffset maximum');
  await refused('files', commit({ sizeBytes: sizeMax, batches: [batch({ byteOffset: offsetMax + 1, byteLength: 1 })] }), 'byteOffset maximum');
  for (const field of ['byteLength', 'recordCount', 'maxTimestamp']) {
    const max = b[field].maximum as number;
    const size = field === 'byteLength' ? Math.min(sizeMax, max + 1) : 1000;
    await accepted('files', commit({ sizeBytes: size, batches: [batch({ [field]: max })] }), `${field} maximum ${max}`);
    await refused('files', commit({ sizeBytes: size, batches: [batch({ [field]: max + 1 })] }), `${field} maximum ${max}`);
  }
  // A partition number the document allows is a per-batch Kafka error, not a refused request.
  const partitionMax = b.partition.maximum as number;
  const far = await accepted('files', commit({ batches: [batch({ partition: partitionMax })] }), 'partition maximum');
  assert.equal(far.results[0].error, 'UNKNOWN_TOPIC_OR_PARTITION');
  await refused('files', commit({ batches: [batch({ partition: partitionMax + 1 })] }), 'partition maximum');

  // Producer fields: the documented minimum (Kafka's -1, "no producer") is accepted for all three.
  const none = { producerId: b.producerId.minimum, producerEpoch: b.producerEpoch.minimum, baseSequence: b.baseSequence.minimum };
  const plain = await accepted('files', commit({ batches: [batch(none)] }), 'producer fields at their minimum');
  assert.equal(plain.results[0].error, undefined);
  const idem = { producerId: b.producerId.maximum, producerEpoch: b.producerEpoch.maximum, baseSequence: b.baseSequence.maximum };
  await accepted('files', commit({ batches: [batch({ ...idem, partition: 0, topic: 'p' })] }), 'producer fields at their maximum');
  await refused('files', commit({ batches: [batch({ ...idem, producerEpoch: idem.producerEpoch + 1 })] }), 'producerEpoch maximum');
});

test('issue 8 #8: fetch-plan and list-offsets limits in the OpenAPI document are the enforced ones', async () => {
  const f = bodySchema('fetch-plan');
  const entry = f.properties.partitions.items.properties;
  const part = (o: Record<string, unknown> = {}) => ({ topic: 't', partition: 0, offset: 0, maxBytes: 100, ...o });
  for (const [what, at, past] of [
    ['maxBytes maximum', { partitions: [part()], maxBytes: f.properties.maxBytes.maximum }, { partitions: [part()], maxBytes: f.properties.maxBytes.maximum + 1 }],
    ['maxBytes minimum', { partitions: [part()], maxBytes: f.properties.maxBytes.minimum }, { partitions: [part()], maxBytes: f.properties.maxBytes.minimum - 1 }],
    ['partition maxBytes maximum', { partitions: [part({ maxBytes: entry.maxBytes.maximum })], maxBytes: 10 }, { partitions: [part({ maxBytes: entry.maxBytes.maximum + 1 })], maxBytes: 10 }],
    ['partition maxBytes minimum', { partitions: [part({ maxBytes: entry.maxBytes.minimum })], maxBytes: 10 }, { partitions: [part({ maxBytes: entry.maxBytes.minimum - 1 })], maxBytes: 10 }],
    ['offset maximum', { partitions: [part({ offset: entry.offset.maximum })], maxBytes: 10 }, { partitions: [part({ offset: entry.offset.maximum + 1 })], maxBytes: 10 }],
  ] as const) {
    await accepted('fetch-plan', at, what);
    await refused('fetch-plan', past, what);
  }
  const maxParts = f.properties.partitions.maxItems as number;
  const parts = (n: number) => ({ partitions: Array.from({ length: n }, (_, i) => part({ partition: i })), maxBytes: 10 });
  await accepted('fetch-plan', parts(maxParts), 'partitions maxItems');
  await refused('fetch-plan', parts(maxParts + 1), 'partitions maxItems');

  const l = bodySchema('list-offsets');
  const ts = l.properties.partitions.items.properties.timestamp;
  await accepted('list-offsets', { partitions: [{ topic: 't', partition: 0, timestamp: ts.minimum }] }, 'timestamp minimum');
  await refused('list-offsets', { partitions: [{ topic: 't', partition: 0, timestamp: ts.minimum - 1 }] }, 'timestamp minimum');
  await accepted('list-offsets', { partitions: [{ topic: 't', partition: 0, timestamp: ts.maximum }] }, 'timestamp maximum');
  const lmax = l.properties.partitions.maxItems as number;
  const lparts = (n: number) => ({ partitions: Array.from({ length: n }, (_, i) => ({ topic: 't', partition: i, timestamp: -1 })) });
  await accepted('list-offsets', lparts(lmax), 'list-offsets maxItems');
  await refused('list-offsets', lparts(lmax + 1), 'list-offsets maxItems');
});
