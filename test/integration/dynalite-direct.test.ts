import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { Db, createDynamoClient, tableNames } from '../../shared/dynamo';
import { startDynalite } from '../../infra/local/dynalite';
import { ensureTables } from '../../infra/local/ensure-tables';

/**
 * The direct transport (no socket, no signing) must answer exactly as dynalite does over HTTP:
 * one engine, two clients, the same requests, the same answers and the same errors.
 */
async function twoClients(t: { after(fn: () => Promise<void>): void }) {
  const engine = await startDynalite();
  const http = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1' });
  const direct = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', inProcess: engine.inProcess });
  t.after(async () => {
    http.destroy();
    direct.destroy();
    await engine.close();
  });
  await ensureTables(http, 'direct-');
  return { http, direct, table: tableNames('direct-').control };
}

/** What a caller can see of a failure: its class, name, fault, status and message. */
async function failureOf(request: () => Promise<unknown>) {
  try {
    await request();
  } catch (e) {
    const err = e as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
    return { class: err.constructor.name, name: err.name, fault: err.$fault, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('the request succeeded');
}

test('direct transport: writes through one client are read back through the other', async (t) => {
  const { http, direct, table } = await twoClients(t);
  await direct.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: '1' }, n: { N: '7' }, b: { B: new Uint8Array([1, 2, 3]) } } }));
  const viaHttp = await http.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: '1' } }, ConsistentRead: true }));
  const viaDirect = await direct.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: '1' } }, ConsistentRead: true }));
  assert.deepEqual(viaDirect.Item, viaHttp.Item);
  assert.deepEqual(viaDirect.Item?.b, { B: new Uint8Array([1, 2, 3]) });
  assert.equal(viaDirect.$metadata.httpStatusCode, 200);
});

test('direct transport: a failed condition is the same ConditionalCheckFailedException as over HTTP', async (t) => {
  const { http, direct, table } = await twoClients(t);
  const put = () => new PutItemCommand({ TableName: table, Item: { pk: { S: 'c' }, sk: { S: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' });
  await direct.send(put());
  const overHttp = await failureOf(() => http.send(put()));
  const overDirect = await failureOf(() => direct.send(put()));
  assert.equal(overDirect.class, ConditionalCheckFailedException.name);
  assert.deepEqual(overDirect, overHttp);
  // Db turns it into an answer on this transport too.
  assert.equal(await new Db(direct).put(table, { pk: 'c', sk: '1' }, { expr: 'attribute_not_exists(pk)' }), false);
});

test('direct transport: validation and missing-table errors match HTTP word for word', async (t) => {
  const { http, direct, table } = await twoClients(t);
  const cases: ((c: DynamoDBClient) => Promise<unknown>)[] = [
    (c) => c.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' } } })),
    (c) => c.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: '' } } })),
    (c) => c.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p AND', ExpressionAttributeValues: { ':p': { S: 'a' } } })),
    (c) => c.send(new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'a' }, sk: { S: '1' } } })),
    (c) => c.send(new BatchWriteItemCommand({ RequestItems: { [table]: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { pk: { S: 'b' }, sk: { S: String(i) } } } })) } })),
  ];
  for (const request of cases) {
    const overHttp = await failureOf(() => request(http));
    assert.deepEqual(await failureOf(() => request(direct)), overHttp);
    assert.equal(overHttp.status, 400);
  }
});

test('direct transport: query pages end where they do over HTTP', async (t) => {
  const { http, direct, table } = await twoClients(t);
  const db = new Db(direct);
  await db.putMany(table, Array.from({ length: 30 }, (_, i) => ({ pk: 'q', sk: String(i).padStart(2, '0'), v: i })));
  const page = (client: DynamoDBClient, start?: Record<string, { S: string }>) =>
    client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } }, Limit: 7, ExclusiveStartKey: start, ConsistentRead: true }));
  const first = await page(direct);
  assert.deepEqual(first.Items, (await page(http)).Items);
  assert.deepEqual(first.LastEvaluatedKey, { pk: { S: 'q' }, sk: { S: '06' } });
  const all: unknown[] = [];
  for await (const item of db.queryAll({ table, keyCondition: 'pk = :p', values: { ':p': 'q' }, limit: 7 })) all.push(item);
  assert.equal(all.length, 30);
});

test('direct transport: once the engine is closed, requests fail as a refused connection does (a retryable 503 through Db)', async () => {
  const engine = await startDynalite();
  const direct = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', inProcess: engine.inProcess });
  await ensureTables(direct, 'closed-');
  await engine.close();
  try {
    await assert.rejects(new Db(direct).get(tableNames('closed-').control, { pk: 'a', sk: '1' }), (e: Error & { status?: number; code?: string }) => {
      assert.equal(e.code, 'store_unavailable');
      return true;
    });
  } finally {
    direct.destroy();
  }
});

test('direct transport: closing the engine lets the requests under way finish (as open connections do) and refuses the rest', async () => {
  const engine = await startDynalite();
  const direct = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', inProcess: engine.inProcess });
  await ensureTables(direct, 'closing-');
  const db = new Db(direct);
  const table = tableNames('closing-').control;
  const writes = Array.from({ length: 20 }, (_, i) => db.put(table, { pk: 'w', sk: String(i) }));
  await engine.close();
  try {
    // Each write is either answered (it reached the engine first) or refused as retryable; none
    // reaches the closed LevelDB (which would throw outside any request).
    for (const r of await Promise.allSettled(writes)) {
      if (r.status === 'fulfilled') assert.equal(r.value, true);
      else assert.equal((r.reason as { code?: string }).code, 'store_unavailable');
    }
  } finally {
    direct.destroy();
  }
});
