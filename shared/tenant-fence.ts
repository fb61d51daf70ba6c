import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LRUCache } from 'lru-cache';
import { compileTenantPolicy, tenantSessionPolicy, type AccessRequest } from './tenant-policy';

/**
 * Thrown when work acting for one tenant asks the store for an item outside that tenant's
 * keys: always a bug, never a user error. It is raised before the request is serialised, so
 * nothing leaves the process; the HTTP layer answers a 500 and logs it.
 */
export class TenantFenceError extends Error {
  constructor(
    readonly tenantId: string,
    readonly request: AccessRequest,
  ) {
    super(`tenant fence: ${request.action} on ${request.table}${request.index ? `/index/${request.index}` : ''} with leading keys ${JSON.stringify(request.leadingKeys ?? null)} is outside tenant ${tenantId}`);
    this.name = 'TenantFenceError';
  }
}

type Input = Record<string, unknown>;
type AttrMap = Record<string, AttributeValue> | undefined;

const keyOf = (item: AttrMap, pk: string): string | undefined => {
  const v = item?.[pk];
  if (v === undefined) return undefined;
  return 'S' in v && typeof v.S === 'string' ? v.S : '';
};
const present = (keys: (string | undefined)[]) => {
  const out = keys.filter((k): k is string => k !== undefined);
  return out.length > 0 ? out : undefined;
};

/** The partition key value a key condition pins (`pk = :v`), resolving `#names`. */
function keyConditionValue(input: Input, pk: string): string | undefined {
  const expr = input.KeyConditionExpression;
  if (typeof expr !== 'string') return undefined;
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  for (const part of expr.split(/\s+AND\s+/i)) {
    const m = /^\s*\(?\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*\)?\s*$/.exec(part);
    if (!m) continue;
    const attr = m[1].startsWith('#') ? names[m[1]] : m[1];
    if (attr === pk) return keyOf({ v: values[m[2]] } as AttrMap, 'v');
  }
  return undefined;
}

/** What a DynamoDB command asks for, one entry per table it touches. */
export function accessOf(commandName: string, commandInput: object, pk = 'pk'): AccessRequest[] {
  const input = commandInput as Input;
  const action = commandName.replace(/Command$/, '');
  const table = String(input.TableName ?? '*');
  switch (action) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action, table, leadingKeys: present([keyOf(input.Key as AttrMap, pk)]) }];
    case 'PutItem':
      return [{ action, table, leadingKeys: present([keyOf(input.Item as AttrMap, pk)]) }];
    case 'Query':
      // An index's partition key is not ours to read: index access is outside tenant policies.
      return [{ action, table, index: input.IndexName as string | undefined, leadingKeys: input.IndexName ? undefined : present([keyConditionValue(input, pk)]) }];
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: AttrMap }; DeleteRequest?: { Key: AttrMap } }[]>).map(([t, reqs]) => ({
        action,
        table: t,
        leadingKeys: present(reqs.map((r) => keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key, pk) ?? ''))
      }));
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys: AttrMap[] }>).map(([t, req]) => ({
        action,
        table: t,
        leadingKeys: present(req.Keys.map((k) => keyOf(k, pk) ?? '')),
      }));
    default:
      return [{ action, table, leadingKeys: undefined }];
  }
}

/**
 * A command's name by its class, not by `constructor.name`: a minifying bundler (the Lambda
 * package) renames classes (`GetItemCommand` becomes `kx`), which would fence every request.
 */
const COMMAND_NAMES = new Map<unknown, string>([
  [GetItemCommand, 'GetItemCommand'],
  [PutItemCommand, 'PutItemCommand'],
  [UpdateItemCommand, 'UpdateItemCommand'],
  [DeleteItemCommand, 'DeleteItemCommand'],
  [QueryCommand, 'QueryCommand'],
  [ScanCommand, 'ScanCommand'],
  [BatchGetItemCommand, 'BatchGetItemCommand'],
  [BatchWriteItemCommand, 'BatchWriteItemCommand'],
]);
export const commandName = (command: { constructor: { name: string } }) => COMMAND_NAMES.get(command.constructor) ?? command.constructor.name;

/** What `Db.forTenant` needs: a client-shaped view of the store for one tenant's work. */
export interface TenantAccess {
  forTenant(tenantId: string): DynamoDBClient;
}

/**
 * The store as one tenant's work sees it: every command is checked against that tenant's
 * session policy (the very document the token vending machine hands to STS) before anything
 * is serialised or sent, then goes out through the tenant's own client (`clientFor`, with the
 * tenant's credentials) or the shared one. Compiled policies are cached per tenant (bounded).
 */
export function tenantFence(opts: { base: DynamoDBClient; tables: string[]; cacheSize?: number; clientFor?: (tenantId: string) => DynamoDBClient }): TenantAccess {
  const views = new LRUCache<string, DynamoDBClient>({ max: opts.cacheSize ?? 10_000 });
  function build(tenantId: string): DynamoDBClient {
    const allowed = compileTenantPolicy(tenantSessionPolicy(tenantId, opts.tables));
    const view = {
      send(command: { input: object; constructor: { name: string } }, ...rest: unknown[]) {
        for (const r of accessOf(commandName(command), command.input)) {
          if (!allowed(r)) return Promise.reject(new TenantFenceError(tenantId, r));
        }
        const client = opts.clientFor ? opts.clientFor(tenantId) : opts.base;
        return (client.send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
      },
    };
    return view as unknown as DynamoDBClient;
  }
  return {
    forTenant(tenantId) {
      let v = views.get(tenantId);
      if (!v) {
        v = build(tenantId);
        views.set(tenantId, v);
      }
      return v;
    },
  };
}
