import { DeleteTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { Db, createDynamoClient, tableNames, type InProcessStore, type TableNames } from '../../shared/dynamo';
import { randomBase62 } from '../../shared/crypto';
import { startDynalite } from '../../infra/local/dynalite';
import { ensureTables } from '../../infra/local/ensure-tables';

export interface TestEngine {
  endpoint: string;
  /** Table prefix for this user of the engine: unique per call on a shared external engine. */
  prefix: string;
  /** True when the tests run against DYNAMODB_ENDPOINT (e.g. DynamoDB Local), not dynalite. */
  external: boolean;
  /** A private dynalite in this process: clients call it without a socket, as the server's own does. */
  inProcess?: InProcessStore;
  close(): Promise<void>;
}

/**
 * The engine a test runs on: a private in-memory dynalite, or, when DYNAMODB_ENDPOINT is set
 * (`npm run test:dynamodb-local`), that engine with tables under a prefix of the caller's own,
 * dropped again on close, so test files running side by side never meet.
 */
export async function startTestEngine(opts: { dir?: string; prefix?: string } = {}): Promise<TestEngine> {
  const external = process.env.DYNAMODB_ENDPOINT;
  if (!external) {
    const engine = await startDynalite(opts.dir);
    // HM_EMBEDDED_STORE=in-process-http runs the tests over the loopback socket instead.
    const inProcess = process.env.HM_EMBEDDED_STORE === 'in-process-http' ? undefined : engine.inProcess;
    return { endpoint: engine.endpoint, prefix: opts.prefix ?? 'hmtest-', external: false, inProcess, close: engine.close };
  }
  const prefix = `${opts.prefix ?? 't'}${randomBase62(10)}-`;
  return { endpoint: external, prefix, external: true, close: () => dropTables(external, prefix) };
}

/** Deletes the tables under `prefix` on an external engine (absent ones are fine). */
export async function dropTables(endpoint: string, prefix: string) {
  const client = createDynamoClient({ endpoint, region: 'us-east-1' });
  try {
    for (const table of Object.values(tableNames(prefix))) {
      try {
        await client.send(new DeleteTableCommand({ TableName: table }));
      } catch (e) {
        if (!(e instanceof ResourceNotFoundException)) throw e;
      }
    }
  } finally {
    client.destroy();
  }
}

export interface TestDynamo {
  db: Db;
  endpoint: string;
  tables: TableNames;
  prefix: string;
  close(): Promise<void>;
}

/** A test engine (see startTestEngine) with Harbormaster's tables; `dir` makes dynalite persistent. */
export async function startTestDynamo(opts: { dir?: string; prefix?: string } = {}): Promise<TestDynamo> {
  const engine = await startTestEngine(opts);
  const client = createDynamoClient({ endpoint: engine.endpoint, region: 'us-east-1', inProcess: engine.inProcess });
  await ensureTables(client, engine.prefix);
  return {
    db: new Db(client),
    endpoint: engine.endpoint,
    tables: tableNames(engine.prefix),
    prefix: engine.prefix,
    close: async () => {
      client.destroy();
      await engine.close();
    },
  };
}
