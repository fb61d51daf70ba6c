import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, tableNames } from '../../shared/dynamo';
import { ensureTables } from '../../infra/local/ensure-tables';
import { startTestEngine } from '../helpers/dynamo';

/**
 * Store clients keep each command's resolved middleware (`cacheMiddleware`, see
 * `cachingMiddleware` in shared/dynamo.ts): middleware added to a client's stack after its
 * first requests must still run on the next ones, and stop running once removed.
 */
test('middleware added to a store client after it has sent requests applies to the next ones, and removed stops', async (t) => {
  const engine = await startTestEngine({ prefix: 'mwc-' });
  t.after(() => engine.close());
  const client = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', inProcess: engine.inProcess });
  t.after(() => client.destroy());
  await ensureTables(client, engine.prefix);
  const table = tableNames(engine.prefix).control;
  const key = { pk: { S: 'T#mw' }, sk: { S: 'item' } };
  // Requests of two command classes before anything is added: both get resolved (and kept).
  await client.send(new PutItemCommand({ TableName: table, Item: { ...key, n: { N: '1' } } }));
  await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));

  const seen: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize', name: 'seenByTest' },
  );
  const got = await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
  assert.equal(got.Item?.n?.N, '1', 'the answer still comes through');
  await client.send(new PutItemCommand({ TableName: table, Item: { ...key, n: { N: '2' } } }));
  await client.send(new ListTablesCommand({}));
  assert.deepEqual(seen, ['GetItemCommand', 'PutItemCommand', 'ListTablesCommand']);

  client.middlewareStack.remove('seenByTest');
  await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
  assert.equal(seen.length, 3, 'removed middleware no longer runs');
  // The cache is on (this is what saves the per-request stack resolution).
  assert.equal((client.config as { cacheMiddleware?: boolean }).cacheMiddleware, true);
});
