import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';
import { systemClock, type Clock } from './clock';
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

/**
 * A store engine running in this process that the client reaches without a socket (the
 * embedded dynalite; see infra/local/dynalite-direct.ts): the SDK still serializes and parses,
 * the transport is a function call.
 */
export interface InProcessStore {
  requestHandler: RequestHandler<HttpRequest, HttpResponse>;
}

/** Requests to the in-process engine go unsigned: it accepts any caller, so signing would be pure cost. */
const UNSIGNED = {
  httpAuthSchemeProvider: () => [{ schemeId: 'smithy.api#noAuth' }],
  httpAuthSchemes: [{ schemeId: 'smithy.api#noAuth', identityProvider: () => async () => ({}), signer: { sign: async (request: HttpRequest) => request } }],
};

export function createDynamoClient(opts: { endpoint?: string; region: string; inProcess?: InProcessStore }): DynamoDBClient {
  if (opts.inProcess) {
    return cachingMiddleware(
      new DynamoDBClient({
        region: opts.region,
        // Never dialled: the request handler below is the whole transport.
        endpoint: opts.endpoint ?? 'http://embedded.invalid',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        requestHandler: opts.inProcess.requestHandler,
        maxAttempts: 4,
        cacheMiddleware: true,
        ...UNSIGNED,
      }),
    );
  }
  return cachingMiddleware(
    new DynamoDBClient({
      region: opts.region,
      endpoint: opts.endpoint,
      // The embedded engine accepts any credentials; real AWS uses the default chain.
      ...(opts.endpoint ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      maxAttempts: 4,
      cacheMiddleware: true,
    }),
  );
}

/**
 * Without `cacheMiddleware` the SDK resolves a command's whole middleware stack on every send
 * (allocations that survive young collections: about 5 KB promoted per store request, 1 KB
 * with the cache); with it, the first resolution per command class is kept for good, and its
 * handler context is shared by that class's requests. That is safe because nothing in this
 * client's stack keeps per-request facts there (endpoint, auth scheme and identity are the
 * client's; per-call options turn the cache off). So that middleware added to (or removed
 * from) the client's stack later (the store-latency probe, tests) still applies, every change
 * to the stack drops what was kept (the SDK's `handlers`, version pinned in package.json;
 * test/integration/dynamo-client.test.ts fails if that stops working). Clients made with
 * `cacheMiddleware: true` must come through here, and nothing may add middleware to a single
 * command's own stack (it would be ignored).
 */
export function cachingMiddleware(client: DynamoDBClient): DynamoDBClient {
  const stack = client.middlewareStack as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const change of ['add', 'addRelativeTo', 'remove', 'removeByTag', 'use']) {
    const apply = stack[change].bind(stack);
    stack[change] = (...args: unknown[]) => {
      const out = apply(...args);
      delete (client as unknown as { handlers?: unknown }).handlers;
      return out;
    };
  }
  return client;
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
  /** Attributes to return (a projection expression); all when absent. */
  projection?: string;
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

/** How long a batch write may keep retrying what the store left unprocessed. */
export interface BatchRetry {
  /** Attempts in a row (the first one included) that process nothing before giving up. */
  maxStalledAttempts: number;
  /** Total time one call may spend, retries and waits included. */
  maxTotalMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BATCH_RETRY: BatchRetry = { maxStalledAttempts: 8, maxTotalMs: 30_000, baseDelayMs: 50, maxDelayMs: 5_000 };

export interface DbOptions {
  batchRetry?: BatchRetry;
  /** Injected by tests so that backoff runs without waiting. */
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Fences `forTenant` views (the composition root sets it; see shared/tenant-fence.ts). */
  tenants?: TenantAccess;
}

/**
 * A thin, typed layer over DynamoDB single-item operations. Conditional failures come back
 * as `false`/`undefined` (they are answers, not faults); store faults become a retryable 503.
 */
export class Db {
  private readonly batchRetry: BatchRetry;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Set by the composition root: fences `forTenant` views (see shared/tenant-fence.ts). */
  private readonly tenants?: TenantAccess;

  constructor(
    readonly client: DynamoDBClient,
    private readonly opts: DbOptions = {},
  ) {
    this.batchRetry = opts.batchRetry ?? DEFAULT_BATCH_RETRY;
    this.clock = opts.clock ?? systemClock;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
    this.tenants = opts.tenants;
  }

  /**
   * The store as work for one tenant must use it: every request through the returned view is
   * checked against the tenant's LeadingKeys policy before any I/O (a key outside `T#<tenant>`
   * throws), and, with a token vending machine, signed with that tenant's own credentials.
   * Stores use it for every operation on a tenant's items; vendor-level and cross-tenant work
   * (admin lists, workers, lookups that do not know the tenant yet) uses the base view.
   */
  forTenant(tenantId: string): Db {
    return this.tenants ? new Db(this.tenants.forTenant(tenantId), { ...this.opts, tenants: undefined }) : this;
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
          ProjectionExpression: q.projection,
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

  /**
   * Deletes keys 25 at a time, retrying what the store leaves unprocessed (throttling) with
   * exponential backoff and full jitter. Bounded: after `maxStalledAttempts` retries in a row
   * that process nothing, or `maxTotalMs` in all, it gives up with a retryable 503 so that the
   * job calling it is retried later rather than held here. Deletes are idempotent, so a retry
   * of the whole call is safe.
   */
  async deleteMany(table: string, keys: Key[]): Promise<void> {
    await this.writeMany(table, keys.map((k) => ({ DeleteRequest: { Key: marshall(k) } })), 'deletes');
  }

  /**
   * Unconditional puts, 25 per request, retried and bounded as `deleteMany` is. Each item is
   * durable once this resolves; a put is idempotent, so a retry of the whole call is safe.
   * The store refuses two writes to one key in a request: callers pass distinct keys.
   */
  async putMany(table: string, items: Item[]): Promise<void> {
    await this.writeMany(table, items.map((i) => ({ PutRequest: { Item: marshall(i, { removeUndefinedValues: true }) } })), 'puts');
  }

  /** Items by key, read consistently, 100 keys per request (retrying what the store leaves unprocessed); missing ones are absent. */
  async getMany<T = Item>(table: string, keys: Key[]): Promise<T[]> {
    const out: T[] = [];
    const { maxStalledAttempts, maxTotalMs, baseDelayMs, maxDelayMs } = this.batchRetry;
    const started = this.clock.now();
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = keys.slice(i, i + 100).map((k) => marshall(k));
      for (let retry = 0, stalled = 0; ; retry++) {
        const before = pending.length;
        const res = await this.call(() => this.client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })));
        for (const it of res.Responses?.[table] ?? []) out.push(unmarshall(it) as T);
        pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
        if (pending.length === 0) break;
        stalled = pending.length < before ? 0 : stalled + 1;
        const delay = Math.floor(this.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry));
        if (stalled >= maxStalledAttempts || this.clock.now() - started + delay > maxTotalMs) {
          throw unavailable('store_unavailable', `The store left ${pending.length} of ${keys.length} reads unprocessed; retry later.`);
        }
        await this.sleep(delay);
      }
    }
    return out;
  }

  /** BatchWriteItem in requests of 25, retrying unprocessed writes with backoff (see deleteMany). */
  private async writeMany(table: string, writes: WriteRequest[], what: string): Promise<void> {
    const { maxStalledAttempts, maxTotalMs, baseDelayMs, maxDelayMs } = this.batchRetry;
    const started = this.clock.now();
    const giveUp = (left: number, why: string) =>
      unavailable('store_unavailable', `The store left ${left} of ${writes.length} ${what} unprocessed (${why}); retry later.`);
    for (let i = 0; i < writes.length; i += 25) {
      let requests = writes.slice(i, i + 25);
      for (let retry = 0, stalled = 0; ; retry++) {
        const before = requests.length;
        const out = await this.call(() => this.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } })));
        requests = out.UnprocessedItems?.[table] ?? [];
        if (requests.length === 0) break;
        const left = requests.length + Math.max(0, writes.length - i - 25);
        stalled = requests.length < before ? 0 : stalled + 1;
        if (stalled >= maxStalledAttempts) throw giveUp(left, `${stalled} attempts in a row made no progress`);
        const delay = Math.floor(this.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry));
        if (this.clock.now() - started + delay > maxTotalMs) throw giveUp(left, `still throttled after ${maxTotalMs} ms`);
        await this.sleep(delay);
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
