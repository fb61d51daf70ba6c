import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DescribeTableCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../shared/dynamo';
import { startDynalite } from '../../infra/local/dynalite';

/**
 * The embedded engine refuses what DynamoDB refuses and dynalite alone would let through
 * (infra/local/dynalite-strict.ts): an empty string as a key value in a Query's key condition,
 * on the table's key or an index's.
 */
test('a Query whose key condition holds an empty string is refused, on the table and on an index', async (t) => {
  const e = await startDynalite(undefined);
  const client = createDynamoClient({ endpoint: e.endpoint, region: 'us-east-1', inProcess: e.inProcess });
  t.after(async () => {
    client.destroy();
    await e.close();
  });
  await client.send(
    new CreateTableCommand({
      TableName: 'strict',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'gpk', 'gsk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byG',
          KeySchema: [
            { AttributeName: 'gpk', KeyType: 'HASH' },
            { AttributeName: 'gsk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  // Until the table and its index are ACTIVE (a poll with a generous deadline).
  for (let i = 0; ; i++) {
    const t = (await client.send(new DescribeTableCommand({ TableName: 'strict' }))).Table;
    if (t?.TableStatus === 'ACTIVE' && t.GlobalSecondaryIndexes?.every((g) => g.IndexStatus === 'ACTIVE')) break;
    assert.ok(i < 500, 'the table became active');
    await new Promise((r) => setTimeout(r, 20));
  }
  await client.send(new PutItemCommand({ TableName: 'strict', Item: { pk: { S: 'p' }, sk: { S: 'a' }, gpk: { S: 'G' }, gsk: { S: '2026' } } }));
  const refusal = async (input: ConstructorParameters<typeof QueryCommand>[0]) => {
    try {
      await client.send(new QueryCommand(input));
    } catch (err) {
      return `${(err as Error).name}: ${(err as Error).message}`;
    }
    return 'answered';
  };
  const onIndex = { TableName: 'strict', IndexName: 'byG', KeyConditionExpression: 'gpk = :p AND gsk >= :s' };
  assert.match(await refusal({ ...onIndex, ExpressionAttributeValues: { ':p': { S: 'G' }, ':s': { S: '' } } }), /^ValidationException: .*empty string value. Key: gsk/);
  assert.match(await refusal({ TableName: 'strict', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: '' } } }), /^ValidationException: .*Key: pk/);
  // The same queries with real bounds are answered.
  const found = await client.send(new QueryCommand({ ...onIndex, ExpressionAttributeValues: { ':p': { S: 'G' }, ':s': { S: '2000' } } }));
  assert.equal(found.Count, 1);
  assert.equal((await client.send(new QueryCommand({ TableName: 'strict', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ConsistentRead: true }))).Count, 1);
});
