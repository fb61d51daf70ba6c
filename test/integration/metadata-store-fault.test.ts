import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Db, type Item } from '../../shared/dynamo';
import { freePort } from '../../infra/local/free-port';
import { decodeEntry } from '../../services/metadata/ops';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';

/**
 * Store faults on a journal append. The fault is injected at the network boundary: the
 * failing call goes to a Db whose endpoint has nothing listening, so the real client and the
 * real error handling run. Either the append never arrived, or it landed and its reply was lost.
 */
type Fault = 'none' | 'refuse' | 'lose-reply';

class FaultyDb extends Db {
  fault: Fault = 'none';
  /** When set, the faulty call waits for it: the test decides what happens meanwhile. */
  hold: Promise<void> | undefined;
  entered: () => void = () => {};

  constructor(
    live: Db,
    private readonly dead: Db,
  ) {
    super(live.client);
  }

  override async put(table: string, item: Item, condition?: { expr: string; names?: Record<string, string>; values?: Item }): Promise<boolean> {
    const fault = this.fault;
    if (fault === 'none' || !String(item.sk).startsWith('J#')) return super.put(table, item, condition);
    this.fault = 'none';
    this.entered();
    await this.hold;
    if (fault === 'lose-reply') await super.put(table, item, condition);
    return this.dead.put(table, item, condition);
  }
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const d: TestDynamo = await startTestDynamo();
  const port = await freePort();
  const deadClient = new DynamoDBClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  const db = new FaultyDb(d.db, new Db(deadClient));
  const node = metadataNode({ ...d, db }, 'node-a');
  t.after(async () => {
    await node.close();
    deadClient.destroy();
    await d.close();
  });
  const cluster = clusterRef();
  await node.createTopic(cluster, { name: 't', partitions: 1 });
  return { d, db, node, cluster };
}

test('an append that fails is answered with a retryable 503, never a success, and changes nothing', async (t) => {
  const { d, db, node, cluster } = await setup(t);
  await node.commitFile(cluster, fileOf('first', [{ topic: 't', partition: 0, recordCount: 2 }]));
  const entries = (await journalOf(d, cluster)).length;
  db.fault = 'refuse';
  let release = () => {};
  db.hold = new Promise((r) => (release = r));
  const appending = new Promise<void>((r) => (db.entered = r));
  const failed = node.commitFile(cluster, fileOf('lost', [{ topic: 't', partition: 0 }]));
  await appending;
  // Arrives while the failing append is in flight: it waits for the reload instead of failing.
  const queued = node.commitFile(cluster, fileOf('queued', [{ topic: 't', partition: 0 }]));
  release();
  const e = await rejectsWith(failed, 503, 'store_unavailable');
  assert.equal(e.extra.retryable, true);
  const ok = await queued;
  assert.deepEqual(ok.results[0], { topic: 't', partition: 0, baseOffset: 2, lastOffset: 2, duplicate: false }, 'the failed commit took no offsets');
  const journal = await journalOf(d, cluster);
  assert.equal(journal.length, entries + 2, 'a fence from the reload, then the queued commit');
  assert.ok(!journal.some((x) => decodeEntry(x.data).some((op) => op.type === 'commitFile' && op.body.fileId === 'lost')));
  // The client retries the failed commit: it is new to the cluster.
  const retried = await node.commitFile(cluster, fileOf('lost', [{ topic: 't', partition: 0 }]));
  assert.equal(retried.duplicate, false);
});

test('an append that landed but whose reply was lost fails with 503; the retry gets the original offsets', async (t) => {
  const { d, db, node, cluster } = await setup(t);
  db.fault = 'lose-reply';
  const file = fileOf('ambiguous', [{ topic: 't', partition: 0, recordCount: 4 }]);
  await rejectsWith(node.commitFile(cluster, file), 503, 'store_unavailable');
  const retry = await node.commitFile(cluster, file);
  assert.deepEqual(retry, { fileId: 'ambiguous', duplicate: true, results: [{ topic: 't', partition: 0, baseOffset: 0, lastOffset: 3, duplicate: false }] });
  const commits = (await journalOf(d, cluster)).flatMap((x) => decodeEntry(x.data)).filter((op) => op.type === 'commitFile');
  assert.equal(commits.length, 1, 'the commit is in the journal exactly once');
});
