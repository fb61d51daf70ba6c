import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, ResourceNotFoundException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tableDefinitions } from '../tables';

/** Creates any missing table and waits until each is ACTIVE. Safe to run on every start. */
export async function ensureTables(client: DynamoDBClient, prefix: string): Promise<void> {
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
  }
}
