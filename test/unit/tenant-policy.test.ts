import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTenantPolicy, tenantDataRolePolicy, tenantSessionPolicy, type AccessRequest } from '../../shared/tenant-policy';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { accessOf, tenantFence, TenantFenceError } from '../../shared/tenant-fence';

const TABLES = ['hm-control', 'hm-metadata'];
const T = 'tnt_01jd4v7m2q8x3k5n6p7r8s9t0a';

test('the session policy document: item actions on our tables, LeadingKeys fenced to T#<tenant> with the null-key guard', () => {
  assert.deepEqual(tenantSessionPolicy(T, TABLES), {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantItemsOnly',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        Resource: ['arn:aws:dynamodb:*:*:table/hm-control', 'arn:aws:dynamodb:*:*:table/hm-metadata'],
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`T#${T}`, `T#${T}#*`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      },
    ],
  });
  // STS limits a packed session policy to 2,048 characters; ours stays well inside.
  assert.ok(JSON.stringify(tenantSessionPolicy(T, ['x'.repeat(255), 'y'.repeat(255)])).length < 1500);
});

test('evaluation answers what IAM would for our policy', () => {
  const allowed = compileTenantPolicy(tenantSessionPolicy(T, TABLES));
  const r = (over: Partial<AccessRequest>): AccessRequest => ({ action: 'GetItem', table: 'hm-control', leadingKeys: [`T#${T}`], ...over });
  const cases: [Partial<AccessRequest>, boolean][] = [
    [{}, true],
    [{ leadingKeys: [`T#${T}#AUDIT`] }, true],
    [{ table: 'hm-metadata', leadingKeys: [`T#${T}#C#vci_x`] }, true],
    [{ action: 'BatchWriteItem', leadingKeys: [`T#${T}`, `T#${T}#C#vci_x`] }, true],
    [{ leadingKeys: ['T#tnt_01jd4v7m2q8x3k5n6p7r8s9t0b'] }, false],
    [{ leadingKeys: [`T#${T}x`] }, false], // a longer id sharing the prefix is another tenant
    [{ leadingKeys: [`t#${T}`] }, false],
    [{ leadingKeys: ['REVOCATIONS'] }, false],
    [{ action: 'BatchWriteItem', leadingKeys: [`T#${T}`, 'T#tnt_other'] }, false], // one foreign key spoils the batch
    [{ leadingKeys: undefined }, false], // no leading key (a Scan): the Null guard
    [{ leadingKeys: [] }, false],
    [{ action: 'Scan', leadingKeys: undefined }, false],
    [{ action: 'DescribeTable', leadingKeys: undefined }, false],
    [{ action: 'TransactWriteItems' }, false],
    [{ action: 'Query', index: 'gsi1', leadingKeys: [`T#${T}`] }, false], // no index access
    [{ table: 'hm-other' }, false],
  ];
  for (const [over, expected] of cases) assert.equal(allowed(r(over)), expected, JSON.stringify(over));
});

test('operators outside our vocabulary fail closed; explicit Deny wins', () => {
  const unknownOp = compileTenantPolicy({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:*:*:table/hm-control', Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': '*' } } }],
  });
  assert.equal(unknownOp({ action: 'GetItem', table: 'hm-control', leadingKeys: ['x'] }), false);
  const denied = compileTenantPolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:*:*:table/*' },
      { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: 'arn:aws:dynamodb:*:*:table/hm-control' },
    ],
  });
  assert.equal(denied({ action: 'GetItem', table: 'hm-control', leadingKeys: ['x'] }), true);
  assert.equal(denied({ action: 'DeleteItem', table: 'hm-control', leadingKeys: ['x'] }), false);
});

test('what each DynamoDB command asks for, read from its input as IAM would', () => {
  const S = (s: string) => ({ S: s });
  assert.deepEqual(accessOf('GetItemCommand', { TableName: 't', Key: { pk: S('T#a'), sk: S('x') } }), [{ action: 'GetItem', table: 't', leadingKeys: ['T#a'] }]);
  assert.deepEqual(accessOf('PutItemCommand', { TableName: 't', Item: { pk: S('T#a#AUDIT') } })[0].leadingKeys, ['T#a#AUDIT']);
  assert.deepEqual(accessOf('QueryCommand', { TableName: 't', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': S('T#a'), ':p': S('K') } })[0].leadingKeys, ['T#a']);
  assert.deepEqual(accessOf('QueryCommand', { TableName: 't', KeyConditionExpression: 'begins_with(sk, :p) AND #k = :v', ExpressionAttributeNames: { '#k': 'pk' }, ExpressionAttributeValues: { ':v': S('T#b'), ':p': S('K') } })[0].leadingKeys, ['T#b']);
  assert.equal(accessOf('QueryCommand', { TableName: 't', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': S('T#a') } })[0].leadingKeys, undefined);
  assert.equal(accessOf('QueryCommand', { TableName: 't', KeyConditionExpression: 'sk = :s', ExpressionAttributeValues: { ':s': S('T#a') } })[0].leadingKeys, undefined);
  assert.deepEqual(accessOf('GetItemCommand', { TableName: 't', Key: { pk: { N: '1' } } })[0].leadingKeys, [''], 'a non-string key never matches a pattern');
  assert.deepEqual(
    accessOf('BatchWriteItemCommand', { RequestItems: { t: [{ DeleteRequest: { Key: { pk: S('T#a') } } }, { PutRequest: { Item: { pk: S('T#b') } } }] } }),
    [{ action: 'BatchWriteItem', table: 't', leadingKeys: ['T#a', 'T#b'] }],
  );
  assert.deepEqual(accessOf('ScanCommand', { TableName: 't' }), [{ action: 'Scan', table: 't', leadingKeys: undefined }]);
});

test('the fence knows a command by its class, also when a bundler has renamed it', async () => {
  const sent: unknown[] = [];
  const base = { send: async (c: unknown) => void sent.push(c) } as unknown as DynamoDBClient;
  const view = tenantFence({ base, tables: TABLES }).forTenant(T);
  const own = new GetItemCommand({ TableName: 'hm-control', Key: { pk: { S: `T#${T}` }, sk: { S: 'TENANT' } } });
  const other = new GetItemCommand({ TableName: 'hm-control', Key: { pk: { S: 'T#tnt_other' }, sk: { S: 'TENANT' } } });
  const name = Object.getOwnPropertyDescriptor(GetItemCommand, 'name')!;
  Object.defineProperty(GetItemCommand, 'name', { value: 'kx' }); // as esbuild's minifier leaves it
  try {
    await view.send(own);
    await assert.rejects(view.send(other), TenantFenceError);
  } finally {
    Object.defineProperty(GetItemCommand, 'name', name);
  }
  assert.deepEqual(sent, [own]);
});

test('the role\'s own policy (for the CDK stack) allows tenant-owned items only; a session narrows it to one tenant', () => {
  const role = compileTenantPolicy(tenantDataRolePolicy(['arn:aws:dynamodb:us-east-1:999999999999:table/hm-control']));
  const session = compileTenantPolicy(tenantSessionPolicy(T, ['hm-control']));
  const both = (r: AccessRequest) => role(r) && session(r);
  assert.equal(both({ action: 'PutItem', table: 'hm-control', leadingKeys: [`T#${T}#AUDIT`] }), true);
  assert.equal(role({ action: 'PutItem', table: 'hm-control', leadingKeys: ['T#tnt_other'] }), true);
  assert.equal(both({ action: 'PutItem', table: 'hm-control', leadingKeys: ['T#tnt_other'] }), false);
  assert.equal(role({ action: 'PutItem', table: 'hm-control', leadingKeys: ['REVOCATIONS'] }), false);
  assert.equal(role({ action: 'Scan', table: 'hm-control', leadingKeys: undefined }), false);
});
