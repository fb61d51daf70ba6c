import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { unavailable } from './errors';
import type { TenantAccess } from './tenant-fence';

export type Item = Record<string, unknown>;
export type Key = { pk: string; sk: string };

export interface TableNames {
  /** Tenants, keys, clusters, audit, idempotency, signing keys. */
  control: string;
  /** Per-cluster metadata home: lease, journal, snapshots. */
  metadata: string;
}

export const tableNames = (prefix: string): TableNames => ({
  control: `${prefix}control`,
  metadata: `${prefix}metadata`,
});

export function createDynamoClient(opts: { endpoint?: string; region: string }): DynamoDBClient {
  return new DynamoDBClient({
    region: opts.region,
    endpoint: opts.endpoint,
    // The embedded engine accepts any credentials; real AWS uses the default chain.
    ...(opts.endpoint ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    maxAttempts: 4,
  });
}

export interface QueryInput {
  table: string;
  index?: string;
  keyCondition: string;
  filter?: string;
  names?: Record<string, string>;
  values?: Item;
  limit?: number;
  startKey?: Item;
  forward?: boolean;
  consistent?: boolean;
}

export interface Page<T> {
  items: T[];
  lastKey?: Item;
}

export interface Condition {
  expr: string;
  names?: Record<string, string>;
  values?: Item;
}

function conditionParams(c: Condition | undefined) {
  return {
    ConditionExpression: c?.expr,
    ExpressionAttributeNames: c?.names,
    ExpressionAttributeValues: c?.values ? marshall(c.values) : undefined,
  };
}

export interface UpdateInput {
  table: string;
  key: Key;
  update: string;
  condition?: string;
  names?: Record<string, string>;
  values?: Item;
}

/**
 * A thin, typed layer over DynamoDB single-item operations. Conditional failures come back
 * as `false`/`undefined` (they are answers, not faults); store faults become a retryable 503.
 */
export class Db {
  constructor(
    readonly client: DynamoDBClient,
    /** Set by the composition root: fences `forTenant` views (see shared/tenant-fence.ts). */
    private readonly tenants?: TenantAccess,
  ) {}

  /**
   * The store as work for one tenant must use it: every request through the returned view is
   * checked against the tenant's LeadingKeys policy before any I/O (a key outside `T#<tenant>`
   * throws), and, with a token vending machine, signed with that tenant's own credentials.
   * Stores use it for every operation on a tenant's items; vendor-level and cross-tenant work
   * (admin lists, workers, lookups that do not know the tenant yet) uses the base view.
   */
  forTenant(tenantId: string): Db {
    return this.tenants ? new Db(this.tenants.forTenant(tenantId)) : this;
  }

  async get<T = Item>(table: string, key: Key, consistent = true): Promise<T | undefined> {
    const out = await this.call(() =>
      this.client.send(new GetItemCommand({ TableName: table, Key: marshall(key), ConsistentRead: consistent })),
    );
    return out.Item ? (unmarshall(out.Item) as T) : undefined;
  }

  /** Put; with a condition, returns false when the condition did not hold. */
  async put(table: string, item: Item, condition?: Condition): Promise<boolean> {
    return this.conditional(
      () =>
        this.client.send(
          new PutItemCommand({
            TableName: table,
            Item: marshall(item, { removeUndefinedValues: true }),
            ...conditionParams(condition),
          }),
        ),
      () => true,
      false,
    );
  }

  /** Update returning the new item, or undefined when the condition did not hold. */
  async update<T = Item>(input: UpdateInput): Promise<T | undefined> {
    return this.conditional(
      () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: input.table,
            Key: marshall(input.key),
            UpdateExpression: input.update,
            ConditionExpression: input.condition,
            ExpressionAttributeNames: input.names,
            ExpressionAttributeValues: input.values ? marshall(input.values, { removeUndefinedValues: true }) : undefined,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      (out) => (out.Attributes ? (unmarshall(out.Attributes) as T) : undefined),
      undefined,
    );
  }

  async delete(table: string, key: Key, condition?: Condition): Promise<boolean> {
    return this.conditional(
      () => this.client.send(new DeleteItemCommand({ TableName: table, Key: marshall(key), ...conditionParams(condition) })),
      () => true,
      false,
    );
  }

  /**
   * The base item that `gsi1` maps `gsi1pk` to, read consistently: the index only locates
   * it (index reads lag), the answer always reflects the latest write.
   */
  async getViaGsi1<T = Item>(table: string, gsi1pk: string): Promise<T | undefined> {
    const page = await this.query<Key>({ table, index: 'gsi1', keyCondition: 'gsi1pk = :p', values: { ':p': gsi1pk }, limit: 1 });
    const hit = page.items[0];
    return hit ? this.get<T>(table, { pk: hit.pk, sk: hit.sk }) : undefined;
  }

  async query<T = Item>(q: QueryInput): Promise<Page<T>> {
    const out = await this.call(() =>
      this.client.send(
        new QueryCommand({
          TableName: q.table,
          IndexName: q.index,
          KeyConditionExpression: q.keyCondition,
          FilterExpression: q.filter,
          ExpressionAttributeNames: q.names,
          ExpressionAttributeValues: q.values ? marshall(q.values) : undefined,
          Limit: q.limit,
          ExclusiveStartKey: q.startKey ? marshall(q.startKey) : undefined,
          ScanIndexForward: q.forward ?? true,
          ConsistentRead: q.index ? false : (q.consistent ?? true),
        }),
      ),
    );
    return {
      items: (out.Items ?? []).map((i) => unmarshall(i) as T),
      lastKey: out.LastEvaluatedKey ? unmarshall(out.LastEvaluatedKey) : undefined,
    };
  }

  /** Every item of a partition (or key range), page by page. */
  async *queryAll<T = Item>(q: Omit<QueryInput, 'startKey'>): AsyncGenerator<T> {
    let startKey: Item | undefined;
    do {
      const page = await this.query<T>({ ...q, startKey });
      yield* page.items;
      startKey = page.lastKey;
    } while (startKey);
  }

  /** Deletes keys 25 at a time, retrying what the store leaves unprocessed. */
  async deleteMany(table: string, keys: Key[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests: Record<string, AttributeValue>[] = keys.slice(i, i + 25).map((k) => marshall(k));
      for (let attempt = 0; requests.length > 0; attempt++) {
        const out = await this.call(() =>
          this.client.send(
            new BatchWriteItemCommand({
              RequestItems: { [table]: requests.map((Key) => ({ DeleteRequest: { Key } })) },
            }),
          ),
        );
        requests = (out.UnprocessedItems?.[table] ?? []).map((r) => r.DeleteRequest!.Key!);
        if (requests.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
  }

  /** Runs a conditional write: a failed condition is an answer (`onFailed`), not an error. */
  private async conditional<R, T>(send: () => Promise<R>, onDone: (out: R) => T, onFailed: T): Promise<T> {
    try {
      return onDone(await this.call(send));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return onFailed;
      throw e;
    }
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw e;
      const name = (e as Error).name ?? '';
      if (/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|ServiceUnavailable|InternalServerError|ReplicatedWriteConflict|TimeoutError|ECONNREFUSED|ECONNRESET|socket hang up/i.test(`${name} ${(e as Error).message}`)) {
        throw unavailable('store_unavailable', 'The metadata store is temporarily unavailable; retry the request.');
      }
      throw e;
    }
  }
}
