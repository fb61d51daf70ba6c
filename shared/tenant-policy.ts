import { tenantPk } from './keys';

/**
 * The session policy that fences one tenant's data access: DynamoDB item operations on our
 * tables, only on items whose partition key is `T#<tenant>` or begins with `T#<tenant>#`
 * (`dynamodb:LeadingKeys`). `ForAllValues` is true for an empty set of keys, so a request
 * without a leading key (a Scan, say) would pass it; the `Null` guard refuses those.
 *
 * The same document serves twice: in production it is the `Policy` of the STS AssumeRole call
 * that mints a tenant's credentials (IAM enforces it, intersected with the role's own policy);
 * everywhere, `compileTenantPolicy` evaluates it in-process before any request leaves.
 */
export const TENANT_ACTIONS = ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem'] as const;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Table ARNs with wildcard region and account: the role's own policy pins both. */
const tableArn = (table: string) => `arn:aws:dynamodb:*:*:table/${table}`;

export function tenantSessionPolicy(tenantId: string, tables: string[]): PolicyDocument {
  const pk = tenantPk(tenantId);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantItemsOnly',
        Effect: 'Allow',
        Action: TENANT_ACTIONS.map((a) => `dynamodb:${a}`),
        Resource: tables.map(tableArn),
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pk, `${pk}#*`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      },
    ],
  };
}

/**
 * The permissions policy of the role the vending machine assumes (for the CDK stack): the same
 * item actions on the tables in `tableArns`, on tenant-owned items only. Each session policy
 * then narrows it to one tenant.
 */
export function tenantDataRolePolicy(tableArns: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantOwnedItems',
        Effect: 'Allow',
        Action: TENANT_ACTIONS.map((a) => `dynamodb:${a}`),
        Resource: tableArns,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ],
  };
}

/** What a request asks for, in the terms the policy speaks. */
export interface AccessRequest {
  /** DynamoDB action name without the service prefix (`GetItem`). */
  action: string;
  table: string;
  /** Set when the request reads an index: its resource is `table/<t>/index/<i>`. */
  index?: string;
  /** Partition key values the request touches; undefined when it names none (Scan). */
  leadingKeys: string[] | undefined;
}

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** IAM StringLike: `*` any run, `?` one character; plain strings compare whole. */
function stringLike(pattern: string): (s: string) => boolean {
  if (!/[*?]/.test(pattern)) return (s) => s === pattern;
  if (/^[^*?]*\*$/.test(pattern)) {
    const prefix = pattern.slice(0, -1);
    return (s) => s.startsWith(prefix);
  }
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return (s) => re.test(s);
}

type Check = (r: AccessRequest) => boolean;

function compileCondition(op: string, key: string, values: string[]): Check {
  if (key !== 'dynamodb:LeadingKeys') return () => false;
  if (op === 'ForAllValues:StringLike' || op === 'ForAllValues:StringEquals') {
    const matchers = values.map(op.endsWith('Like') ? stringLike : (v: string) => (s: string) => s === v);
    return (r) => (r.leadingKeys ?? []).every((k) => matchers.some((m) => m(k)));
  }
  if (op === 'Null' && values.length === 1) {
    const mustBeAbsent = values[0] === 'true';
    return (r) => (r.leadingKeys === undefined || r.leadingKeys.length === 0) === mustBeAbsent;
  }
  // An operator this evaluator does not know never allows anything (fail closed).
  return () => false;
}

function compileResource(arn: string): Check {
  const m = /^arn:aws[^:]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)(?:\/index\/(.+))?$/.exec(arn);
  if (!m) return () => false;
  const table = stringLike(m[1]);
  const index = m[2] === undefined ? undefined : stringLike(m[2]);
  return (r) => table(r.table) && (index ? r.index !== undefined && index(r.index) : r.index === undefined);
}

/**
 * Compiles a policy document into a check that answers what IAM would: allowed when some Allow
 * statement matches action, resource and every condition, and no Deny statement matches.
 * Only the vocabulary our policies use is understood; anything else fails closed.
 */
export function compileTenantPolicy(doc: PolicyDocument): (r: AccessRequest) => boolean {
  const statements = doc.Statement.map((s) => {
    const actions = new Set(asList(s.Action));
    const resources = asList(s.Resource).map(compileResource);
    const conditions = Object.entries(s.Condition ?? {}).flatMap(([op, byKey]) => Object.entries(byKey).map(([key, v]) => compileCondition(op, key, asList(v))));
    const matches: Check = (r) =>
      (actions.has(`dynamodb:${r.action}`) || actions.has('dynamodb:*')) && resources.some((res) => res(r)) && conditions.every((c) => c(r));
    return { effect: s.Effect, matches };
  });
  const allows = statements.filter((s) => s.effect === 'Allow').map((s) => s.matches);
  const denies = statements.filter((s) => s.effect === 'Deny').map((s) => s.matches);
  return (r) => !denies.some((d) => d(r)) && allows.some((a) => a(r));
}
