import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, tableNames } from '../../shared/dynamo';
import { startDynalite } from '../../infra/local/dynalite';
import { ensureTables } from '../../infra/local/ensure-tables';
import { TTL_ATTRIBUTE } from '../../infra/tables';
import { startTestEngine } from '../helpers/dynamo';
import { startTtlStandIn } from '../helpers/dynamo-ttl-stand-in';

async function engines(t: { after(fn: () => Promise<void>): void }, refuseUpdateWith?: string) {
  const dynalite = await startDynalite();
  const standIn = await startTtlStandIn(dynalite.endpoint, { refuseUpdateWith });
  const client = createDynamoClient({ endpoint: standIn.endpoint, region: 'us-east-1' });
  t.after(async () => {
    client.destroy();
    await standIn.close();
    await dynalite.close();
  });
  return { dynalite, standIn, client };
}

test('table creation switches TTL on for every table, once: a second start leaves it as it is', async (t) => {
  const { standIn, client } = await engines(t);
  const names = tableNames('ttltest-');
  assert.deepEqual(await ensureTables(client, 'ttltest-'), { ttl: 'enabled' });
  assert.equal(standIn.ttl.get(names.control), TTL_ATTRIBUTE);
  assert.equal(standIn.ttl.get(names.metadata), TTL_ATTRIBUTE);
  // DynamoDB refuses to enable TTL twice; a restart must not ask again.
  assert.deepEqual(await ensureTables(client, 'ttltest-'), { ttl: 'enabled' });
  assert.deepEqual(standIn.updates.sort(), [names.control, names.metadata].sort());
});

test('an engine without TTL (dynalite) is tolerated; any other refusal stops the start', async (t) => {
  const { dynalite } = await engines(t);
  const direct = createDynamoClient({ endpoint: dynalite.endpoint, region: 'us-east-1' });
  t.after(async () => direct.destroy());
  assert.deepEqual(await ensureTables(direct, 'plain-'), { ttl: 'unsupported' });

  const { client } = await engines(t, 'AccessDeniedException');
  await assert.rejects(ensureTables(client, 'denied-'), (e: Error) => e.name === 'AccessDeniedException');
});

test('on the engine the suites run on, TTL ends up on: DynamoDB Local switches it on, dynalite has none', async (t) => {
  const engine = await startTestEngine();
  const client = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1' });
  t.after(async () => {
    client.destroy();
    await engine.close();
  });
  const { ttl } = await ensureTables(client, engine.prefix);
  const described = await client.send(new DescribeTimeToLiveCommand({ TableName: tableNames(engine.prefix).control }));
  if (engine.external) {
    assert.equal(ttl, 'enabled');
    assert.deepEqual(described.TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: TTL_ATTRIBUTE });
  } else {
    assert.equal(ttl, 'unsupported');
    assert.equal(described.TimeToLiveDescription?.TimeToLiveStatus, 'DISABLED');
  }
});
