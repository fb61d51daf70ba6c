import { Db, createDynamoClient, tableNames, type TableNames } from '../../shared/dynamo';
import { startDynalite } from '../../infra/local/dynalite';
import { ensureTables } from '../../infra/local/ensure-tables';

export interface TestDynamo {
  db: Db;
  endpoint: string;
  tables: TableNames;
  prefix: string;
  close(): Promise<void>;
}

/** A private in-memory dynalite with Harbormaster's tables; `dir` makes it persistent. */
export async function startTestDynamo(opts: { dir?: string; prefix?: string } = {}): Promise<TestDynamo> {
  const prefix = opts.prefix ?? 'hmtest-';
  const engine = await startDynalite(opts.dir);
  const client = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1' });
  await ensureTables(client, prefix);
  return {
    db: new Db(client),
    endpoint: engine.endpoint,
    tables: tableNames(prefix),
    prefix,
    close: async () => {
      client.destroy();
      await engine.close();
    },
  };
}
