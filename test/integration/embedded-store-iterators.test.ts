import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, tableNames } from '../../shared/dynamo';
import { tableDefinitions } from '../../infra/tables';
import { startDynalite } from '../../infra/local/dynalite';
import { levelIteratorPrototypes, type LevelIteratorPrototype } from '../../infra/local/close-iterators';

/**
 * Every LevelDB iterator the embedded store opens for a Query or Scan is closed once the
 * request is answered: an open one pins the files and memtables it started on, so leaked ones
 * kept every overwritten or deleted item on disk and in memory for the store's lifetime.
 */
function trackIterators(t: { after(fn: () => void): void }) {
  const opened = new Set<object>();
  const closed = new Set<object>();
  for (const proto of levelIteratorPrototypes()) {
    const { next, close } = proto;
    proto.next = function (this: LevelIteratorPrototype) {
      opened.add(this);
      return next.call(this);
    };
    proto.close = function (this: LevelIteratorPrototype) {
      closed.add(this);
      return close.call(this);
    };
    t.after(() => {
      proto.next = next;
      proto.close = close;
    });
  }
  return { opened, closed, open: () => [...opened].filter((i) => !closed.has(i)).length };
}

for (const onDisk of [true, false]) {
  test(`Query and Scan close their iterators, cut short or read to the end (${onDisk ? 'LevelDB on disk' : 'in memory'})`, async (t) => {
    const dir = onDisk ? mkdtempSync(path.join(os.tmpdir(), 'hm-iterators-')) : undefined;
    const engine = await startDynalite(dir);
    const client = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1' });
    t.after(async () => {
      client.destroy();
      await engine.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    // The project's own metadata table (pk/sk): the definition the embedded runtime creates.
    const table = tableDefinitions('iterators-').find((d) => d.TableName === tableNames('iterators-').metadata)!;
    const TableName = table.TableName!;
    await client.send(new CreateTableCommand(table));
    for (let i = 0; i < 30; i++) await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'p' }, sk: { S: `k${String(i).padStart(3, '0')}` } } }));
    const it = trackIterators(t);
    const query = (Limit?: number, ScanIndexForward = true) =>
      client.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Limit, ScanIndexForward }));
    for (let i = 0; i < 10; i++) {
      assert.equal((await query(1, false)).Items?.length, 1); // cut short by Limit, newest first
      assert.equal((await query(5)).Items?.length, 5);
      assert.equal((await query()).Items?.length, 30); // read to the end
      assert.equal((await client.send(new ScanCommand({ TableName, Limit: 2 }))).Items?.length, 2);
    }
    assert.ok(it.opened.size >= 40, `the requests opened iterators (${it.opened.size})`);
    // A stream closes its iterator as it finishes, just after the answer may have gone out.
    const deadline = Date.now() + 10_000;
    while (it.open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(it.open(), 0, `${it.open()} of ${it.opened.size} iterators still open`);
  });
}
