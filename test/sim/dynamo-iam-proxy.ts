import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessOf } from '../../shared/tenant-fence';
import { SigV4Failure, verifySigV4, type SigV4FailureKind } from './sigv4-verify';
import type { StsStandIn } from './sts';

/**
 * What IAM does in front of DynamoDB, for tests of the token vending machine: a proxy before
 * the embedded engine that verifies every request's SigV4 signature (the control plane's base
 * key, or session credentials the STS stand-in issued) and, for sessions that carry a session
 * policy, allows only what a tenant policy allows: item actions on the tenant's own leading
 * keys. It records who did what, and forwards allowed requests to the engine unchanged.
 */
export interface ProxiedRequest {
  principal: string;
  /** The tenant whose session signed it; undefined for the base identity. */
  tenant?: string;
  action: string;
  table: string;
  index?: string;
  leadingKeys?: string[];
  allowed: boolean;
}

const DYNAMO_CODES: Record<SigV4FailureKind, string> = {
  missing: 'MissingAuthenticationTokenException',
  incomplete: 'IncompleteSignatureException',
  scope: 'InvalidSignatureException',
  stale: 'InvalidSignatureException',
  'unknown-key': 'UnrecognizedClientException',
  mismatch: 'InvalidSignatureException',
  'payload-hash': 'InvalidSignatureException',
  'expired-token': 'ExpiredTokenException',
};

const ITEM_ACTIONS = new Set(['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem']);

export async function startDynamoIamProxy(o: { target: string; sts: StsStandIn; tables: string[]; region?: string; baseKey?: { accessKeyId: string; secretAccessKey: string } }) {
  const target = new URL(o.target);
  const base = o.baseKey ?? { accessKeyId: 'local', secretAccessKey: 'local' };
  const requests: ProxiedRequest[] = [];

  /** The tenant a session's policy fences, checked independently of the control plane's evaluator. */
  function tenantOf(arn: string, policy: unknown): string | undefined {
    const session = /assumed-role\/[^/]+\/hm-(tnt_[0-9a-z]+)$/.exec(arn)?.[1];
    const stmt = (policy as { Statement?: { Condition?: Record<string, Record<string, unknown>> }[] } | undefined)?.Statement?.[0];
    const keys = stmt?.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    const guarded = stmt?.Condition?.Null?.['dynamodb:LeadingKeys'] === 'false';
    return session && guarded && JSON.stringify(keys) === JSON.stringify([`T#${session}`, `T#${session}#*`]) ? session : undefined;
  }

  const reply = (res: http.ServerResponse, type: string, message: string) => {
    const body = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, Message: message });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string) {
    let principal = 'base';
    let policy: unknown;
    try {
      const { accessKeyId } = await verifySigV4(req, {
        service: 'dynamodb',
        region: o.region ?? 'us-east-1',
        now: Date.now(),
        path: '/',
        query: {},
        body,
        lookup: (id) => {
          if (id === base.accessKeyId) return { secretAccessKey: base.secretAccessKey };
          const k = o.sts.inspect(id);
          return k && { secretAccessKey: k.secretAccessKey, sessionToken: k.sessionToken, expiresAtMs: k.expiresAtMs };
        },
      });
      if (accessKeyId !== base.accessKeyId) {
        const k = o.sts.inspect(accessKeyId)!;
        principal = k.principal.arn;
        policy = k.sessionPolicy;
      }
    } catch (e) {
      if (!(e instanceof SigV4Failure)) throw e;
      return reply(res, DYNAMO_CODES[e.kind], e.message);
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_20120810\./, '');
    const accesses = accessOf(`${action}Command`, JSON.parse(body || '{}'));
    const tenant = policy === undefined ? undefined : tenantOf(principal, policy);
    for (const a of accesses) {
      const keys = a.leadingKeys ?? [];
      const allowed =
        policy === undefined ||
        (tenant !== undefined &&
          ITEM_ACTIONS.has(a.action) &&
          o.tables.includes(a.table) &&
          a.index === undefined &&
          keys.length > 0 &&
          keys.every((k) => k === `T#${tenant}` || k.startsWith(`T#${tenant}#`)));
      requests.push({ principal, tenant, action: a.action, table: a.table, index: a.index, leadingKeys: a.leadingKeys, allowed });
      if (!allowed) {
        return reply(res, 'AccessDeniedException', `User: ${principal} is not authorized to perform: dynamodb:${a.action} on resource: arn:aws:dynamodb:us-east-1:999999999999:table/${a.table} because no session policy allows the dynamodb:${a.action} action`);
      }
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.destroy()));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
