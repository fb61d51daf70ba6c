import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../shared/dynamo';
import { startDynalite } from '../../infra/local/dynalite';

/**
 * The embedded store serves item operations' table definitions from memory and reads LevelDB
 * synchronously (infra/local/dynalite-io.ts): every answered write must be read back (after
 * a restart too), the last of one item's writes wins, and table changes must be seen at once
 * by the next item operation, on disk and in memory alike.
 */
const engines = [
  { name: 'LevelDB on disk', dir: () => mkdtempSync(path.join(os.tmpdir(), 'hm-reads-')) },
  { name: 'in memory', dir: () => undefined },
];

async function engine(t: { after(fn: () => Promise<void>): void }, dir: string | undefined, keepDir = false) {
  const e = await startDynalite(dir);
  const client = createDynamoClient({ endpoint: e.endpoint, region: 'us-east-1', inProcess: e.inProcess });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client.destroy();
    await e.close();
  };
  t.after(async () => {
    await close();
    if (dir && !keepDir) rmSync(dir, { recursive: true, force: true });
  });
  return Object.assign(client, { close });
}

/** Until the table is ACTIVE (`gone`: until it no longer exists), as ensureTables waits. */
async function settled(client: DynamoDBClient, name: string, gone = false) {
  for (let i = 0; i < 600; i++) {
    try {
      const out = await client.send(new DescribeTableCommand({ TableName: name }));
      if (!gone && out.Table?.TableStatus === 'ACTIVE' && (out.Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
      if (gone) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`table ${name} did not settle`);
}

const create = async (client: DynamoDBClient, name: string) => {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await settled(client, name);
};

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  assert.fail('the request succeeded');
};

for (const { name, dir } of engines) {
  test(`embedded store reads (${name}): items written are read back, missing ones are absent`, async (t) => {
    const client = await engine(t, dir());
    await create(client, 'reads');
    for (let i = 0; i < 50; i++) await client.send(new PutItemCommand({ TableName: 'reads', Item: { pk: { S: 'p' }, sk: { S: `${i}` }, n: { N: `${i}` } } }));
    const got = await client.send(new GetItemCommand({ TableName: 'reads', Key: { pk: { S: 'p' }, sk: { S: '42' } }, ConsistentRead: true }));
    assert.deepEqual(got.Item, { pk: { S: 'p' }, sk: { S: '42' }, n: { N: '42' } });
    const missing = await client.send(new GetItemCommand({ TableName: 'reads', Key: { pk: { S: 'p' }, sk: { S: 'nope' } }, ConsistentRead: true }));
    assert.equal(missing.Item, undefined);
    // A conditional put reads the existing item: it must see the one just written.
    assert.equal(await failure(client.send(new PutItemCommand({ TableName: 'reads', Item: { pk: { S: 'p' }, sk: { S: '7' } }, ConditionExpression: 'attribute_not_exists(pk)' }))), 'ConditionalCheckFailedException');
  });

  test(`embedded store reads (${name}): a table's changes reach the next item operation`, async (t) => {
    const client = await engine(t, dir());
    await create(client, 'tables');
    await client.send(new PutItemCommand({ TableName: 'tables', Item: { pk: { S: 'a' }, sk: { S: '1' }, g: { S: 'x' } } }));
    assert.equal(await failure(client.send(new PutItemCommand({ TableName: 'tables', Item: { pk: { S: 'b' } } }))), 'ValidationException');
    // A deleted table is gone for item operations at once.
    await client.send(new DeleteTableCommand({ TableName: 'tables' }));
    await settled(client, 'tables', true);
    assert.equal(await failure(client.send(new PutItemCommand({ TableName: 'tables', Item: { pk: { S: 'c' }, sk: { S: '1' } } }))), 'ResourceNotFoundException');
    // The same name again, with another key schema and an index: item operations use the new definition.
    await client.send(
      new CreateTableCommand({
        TableName: 'tables',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      }),
    );
    await settled(client, 'tables');
    await client.send(new PutItemCommand({ TableName: 'tables', Item: { pk: { S: 'b' }, g: { S: 'y' } } }));
    const byG = await client.send(new QueryCommand({ TableName: 'tables', IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'y' } } }));
    assert.deepEqual(byG.Items?.map((i) => i.pk.S), ['b']);
    const gone = await client.send(new GetItemCommand({ TableName: 'tables', Key: { pk: { S: 'a' } }, ConsistentRead: true }));
    assert.equal(gone.Item, undefined);
  });

  test(`embedded store writes (${name}): concurrent writes all land, one item's writes keep their order`, async (t) => {
    const client = await engine(t, dir());
    await create(client, 'writes');
    // 20 batch writes of 25 items at once, and 30 overwrites of one item issued back to back.
    const items = Array.from({ length: 500 }, (_, i) => ({ pk: { S: `b${i % 7}` }, sk: { S: `${i}` }, n: { N: `${i}` } }));
    const batches = Array.from({ length: 20 }, (_, b) => client.send(new BatchWriteItemCommand({ RequestItems: { writes: items.slice(b * 25, b * 25 + 25).map((Item) => ({ PutRequest: { Item } })) } })));
    const overwrites: Promise<unknown>[] = [];
    for (let v = 0; v < 30; v++) overwrites.push(client.send(new PutItemCommand({ TableName: 'writes', Item: { pk: { S: 'one' }, sk: { S: 'x' }, v: { N: `${v}` } } })));
    await Promise.all([...batches, ...overwrites]);
    for (const i of [0, 1, 249, 499]) {
      const got = await client.send(new GetItemCommand({ TableName: 'writes', Key: { pk: items[i].pk, sk: items[i].sk }, ConsistentRead: true }));
      assert.deepEqual(got.Item, items[i]);
    }
    let found = 0;
    for (let p = 0; p < 7; p++) found += (await client.send(new QueryCommand({ TableName: 'writes', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `b${p}` } }, ConsistentRead: true }))).Count ?? 0;
    assert.equal(found, 500);
    const last = await client.send(new GetItemCommand({ TableName: 'writes', Key: { pk: { S: 'one' }, sk: { S: 'x' } }, ConsistentRead: true }));
    assert.equal(last.Item?.v.N, '29');
    await client.send(new DeleteItemCommand({ TableName: 'writes', Key: { pk: { S: 'one' }, sk: { S: 'x' } } }));
    assert.equal((await client.send(new GetItemCommand({ TableName: 'writes', Key: { pk: { S: 'one' }, sk: { S: 'x' } }, ConsistentRead: true }))).Item, undefined);
  });

  test(`embedded store writes (${name}): of 20 concurrent conditional creates of one item, exactly one wins`, async (t) => {
    // The fence, leases and signing keys rest on this: concurrent conditional writes through one
    // client (resolved middleware shared per command class) each see the store's own answer.
    const client = await engine(t, dir());
    await create(client, 'races');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, w) =>
        client.send(new PutItemCommand({ TableName: 'races', Item: { pk: { S: 'one' }, sk: { S: 'x' }, w: { N: `${w}` } }, ConditionExpression: 'attribute_not_exists(pk)' })),
      ),
    );
    const won = outcomes.flatMap((o, w) => (o.status === 'fulfilled' ? [w] : []));
    assert.equal(won.length, 1, `one writer wins, not ${won.length}`);
    for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as Error).name, 'ConditionalCheckFailedException');
    const stored = await client.send(new GetItemCommand({ TableName: 'races', Key: { pk: { S: 'one' }, sk: { S: 'x' } }, ConsistentRead: true }));
    assert.equal(stored.Item?.w.N, `${won[0]}`, 'the stored item is the winner\'s');
  });
}

test('embedded store writes (LevelDB on disk): every answered write survives a restart', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hm-writes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await engine(t, dir, true);
  await create(first, 'durable');
  await Promise.all(Array.from({ length: 200 }, (_, i) => first.send(new PutItemCommand({ TableName: 'durable', Item: { pk: { S: 'p' }, sk: { S: `${i}` } } }))));
  await first.close();
  const second = await engine(t, dir, true);
  const q = await second.send(new QueryCommand({ TableName: 'durable', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ConsistentRead: true }));
  assert.equal(q.Count, 200);
});
