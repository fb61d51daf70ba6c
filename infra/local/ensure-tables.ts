import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE, tableDefinitions } from '../tables';

/** What the store said about TTL: switched on (now or before), or an engine without TTL. */
export type TtlState = 'enabled' | 'unsupported';

/**
 * Creates any missing table, waits until each is ACTIVE and switches TTL on for it. Safe to
 * run on every start.
 */
export async function ensureTables(client: DynamoDBClient, prefix: string): Promise<{ ttl: TtlState }> {
  let ttl: TtlState = 'enabled';
  for (const def of tableDefinitions(prefix)) {
    try {
      await client.send(new CreateTableCommand(def));
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    for (let i = 0; ; i++) {
      try {
        const out = await client.send(new DescribeTableCommand({ TableName: def.TableName }));
        if (out.Table?.TableStatus === 'ACTIVE') break;
      } catch (e) {
        if (!(e instanceof ResourceNotFoundException)) throw e;
      }
      if (i > 600) throw new Error(`table ${def.TableName} did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if ((await ensureTtl(client, def.TableName!)) === 'unsupported') ttl = 'unsupported';
  }
  return { ttl };
}

/**
 * Switches TTL on `ttl` (epoch seconds) unless it already is: DynamoDB refuses to enable it
 * twice. dynalite has no TTL and answers UnknownOperationException: exactly that refusal is
 * tolerated (readers filter by expiry anyway, since TTL deletion lags on AWS too).
 */
async function ensureTtl(client: DynamoDBClient, table: string): Promise<TtlState> {
  const described = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
  const { TimeToLiveStatus: status, AttributeName: attribute } = described.TimeToLiveDescription ?? {};
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (attribute !== TTL_ATTRIBUTE) throw new Error(`table ${table} has TTL on "${attribute}", expected "${TTL_ATTRIBUTE}"`);
    return 'enabled';
  }
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }));
    return 'enabled';
  } catch (e) {
    if ((e as Error).name === 'UnknownOperationException') return 'unsupported';
    throw e;
  }
}
