import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import { clusterBucket, startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';
import { ReferenceAgent } from '../sim/agent';

/**
 * MessagePack on the agent data path: the same commit answers the same offsets in either
 * encoding, the same schema refuses the same mistakes, malformed MessagePack is a 400
 * problem+json, and only the data-path routes take it.
 */
let h: Harness;
let cluster: Awaited<ReturnType<typeof readyCluster>>;
const MSGPACK = 'application/msgpack';
before(async () => {
  h = await startHarness();
  cluster = await readyCluster(h, 'packs', { topics: [{ name: 'a', partitions: 3 }, { name: 'b', partitions: 3 }] });
});
after(() => h.close());

const file = (fileId: string, topic: string) => ({
  fileId,
  objectKey: `data/${fileId}`,
  sizeBytes: 300,
  replicas: [{ region: 'us-east-1', bucket: clusterBucket('packs'), checksum: `c-${fileId}` }],
  batches: [0, 2, 0].map((partition, i) => ({ topic, partition, byteOffset: 100 * i, byteLength: 100, recordCount: 10 + i, maxTimestamp: 1_700_000_000_000 + i })),
});

/** A request whose body is raw bytes sent as MessagePack; the answer decoded by its Content-Type. */
async function packed(path: string, payload: Buffer, accept = MSGPACK) {
  const res = await h.app.inject({ method: 'POST', url: `/agent/v1/clusters/${cluster.clusterId}${path}`, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': MSGPACK, accept }, payload });
  const type = String(res.headers['content-type'] ?? '');
  const body = type.startsWith(MSGPACK) ? (await import('msgpackr')).unpack(res.rawPayload) : res.body ? JSON.parse(res.body) : undefined;
  return { status: res.statusCode, type, body };
}
const json = (path: string, body: unknown) => h.request('POST', `/agent/v1/clusters/${cluster.clusterId}${path}`, { token: cluster.token, body });

test('a commit sent and answered as MessagePack answers what the same commit as JSON answers; retries agree across encodings', async () => {
  const viaJson = await json('/files', file('f-json', 'a'));
  assert.equal(viaJson.status, 200, viaJson.text);
  const viaPack = await packed('/files', pack(file('f-pack', 'b')));
  assert.equal(viaPack.status, 200);
  assert.equal(viaPack.type, MSGPACK);
  // Topics a and b were empty alike: the same offsets, partition by partition.
  assert.deepEqual(viaPack.body, { ...viaJson.body, fileId: 'f-pack', results: viaJson.body.results.map((r: { topic: string }) => ({ ...r, topic: 'b' })) });
  assert.deepEqual(viaPack.body.results.map((r: { baseOffset: number; lastOffset: number }) => [r.baseOffset, r.lastOffset]), [[0, 9], [0, 10], [10, 21]]);

  // The retry of either file, in the other encoding, is the same duplicate answer.
  const jsonRetryOfPack = await json('/files', file('f-pack', 'b'));
  const packRetryOfPack = await packed('/files', pack(file('f-pack', 'b')));
  assert.equal(jsonRetryOfPack.body.duplicate, true);
  assert.deepEqual(packRetryOfPack.body, jsonRetryOfPack.body);
  // MessagePack in, JSON out when the caller does not ask for MessagePack.
  const jsonAnswer = await packed('/files', pack(file('f-json', 'a')), 'application/json');
  assert.equal(jsonAnswer.type, 'application/json; charset=utf-8');
  assert.deepEqual(jsonAnswer.body, (await json('/files', file('f-json', 'a'))).body);

  // Reads take MessagePack bodies too, and see the same log.
  const plan = { partitions: [{ topic: 'b', partition: 0, offset: 0, maxBytes: 1000 }], maxBytes: 10_000 };
  const packedPlan = await packed('/fetch-plan', pack(plan));
  assert.equal(packedPlan.status, 200);
  assert.deepEqual(packedPlan.body, (await json('/fetch-plan', plan)).body);
});

test('malformed MessagePack is a 400 problem+json malformed_msgpack; nothing is committed', async () => {
  const whole = pack(file('f-bad', 'a'));
  const bodies = {
    truncated: whole.subarray(0, whole.length - 3),
    trailing: Buffer.concat([whole, Buffer.from([0x01])]),
    empty: Buffer.alloc(0),
    'a map with a map for a key': Buffer.from([0x81, 0x80, 0x01]),
  };
  for (const [what, payload] of Object.entries(bodies)) {
    const r = await packed('/files', payload);
    assert.equal(r.status, 400, what);
    assert.equal(r.type, 'application/problem+json; charset=utf-8', what);
    assert.equal(r.body.code, 'malformed_msgpack', what);
  }
  // Nothing was committed: the file's first good commit is not a duplicate.
  const good = await packed('/files', whole);
  assert.equal(good.status, 200);
  assert.equal(good.body.duplicate, false);
});

test('the schema refuses the same mistakes in either encoding', async () => {
  const wrong = {
    'an unknown field': { ...file('f-x', 'a'), extra: 1 },
    'a string for a number': { ...file('f-x', 'a'), sizeBytes: '300' },
    'no batches': { ...file('f-x', 'a'), batches: [] },
    'a missing field': (({ objectKey: _, ...rest }) => rest)(file('f-x', 'a')),
  };
  for (const [what, body] of Object.entries(wrong)) {
    const a = await json('/files', body);
    const b = await packed('/files', pack(body));
    assert.equal(a.status, 400, what);
    assert.deepEqual([b.status, b.body.code, b.body.detail], [a.status, a.body.code, a.body.detail], what);
  }
  // An encoded lone surrogate (ED A0 80) inside a MessagePack string decodes to U+FFFD, as
  // invalid UTF-8 in a JSON body does: no lone surrogate reaches the store.
  const surrogate = Buffer.from(pack({ ...file('f-utf', 'a'), objectKey: 'data/AAA' }));
  Buffer.from([0xed, 0xa0, 0x80]).copy(surrogate, surrogate.indexOf(Buffer.from('AAA')));
  assert.equal((await packed('/files', surrogate)).status, 200);
  const plan = await json('/fetch-plan', { partitions: [{ topic: 'a', partition: 2, offset: 0, maxBytes: 100_000 }], maxBytes: 100_000 });
  const keys = plan.body.partitions[0].batches.map((b: { objectKey: string }) => b.objectKey);
  assert.ok(keys.includes('data/\ufffd\ufffd\ufffd'), JSON.stringify(keys));
});

test('only the data path takes MessagePack: elsewhere it is a 415', async () => {
  const r = await h.app.inject({ method: 'POST', url: `/v1/clusters/${cluster.clusterId}/topics`, headers: { authorization: `Bearer ${cluster.key}`, 'content-type': MSGPACK }, payload: pack({ name: 'c', partitions: 1 }) });
  assert.equal(r.statusCode, 415);
  assert.equal(JSON.parse(r.body).code, 'unsupported_media_type');
});

test('the reference agent commits and reads over HTTP in MessagePack', async () => {
  const url = await h.listen();
  const ak = await h.request('POST', `/v1/clusters/${cluster.clusterId}/agent-keys`, { token: cluster.key, body: { name: 'packer', access: 'read-write' } });
  const agent = new ReferenceAgent({ baseUrl: url, agentKey: ak.body.secret, agentId: 'packer-1', encoding: 'msgpack' });
  const out = await agent.commitFile(file('f-agent', 'a'));
  assert.equal(out.duplicate, false);
  const [, onTwo] = out.results;
  assert.deepEqual([onTwo.partition, onTwo.lastOffset - onTwo.baseOffset], [2, 10]);
  const plan = await agent.fetchPlan({ partitions: [{ topic: 'a', partition: 2, offset: onTwo.baseOffset, maxBytes: 1000 }], maxBytes: 10_000 });
  assert.deepEqual(plan.partitions[0].batches.map((b: { fileId: string }) => b.fileId), ['f-agent']);
});
