import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cachingMiddleware } from './dynamo';
import { LRUCache } from 'lru-cache';
import type { Clock } from './clock';
import { unavailable } from './errors';
import type { Logger } from './logger';
import { tenantSessionPolicy } from './tenant-policy';

export interface TenantCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

interface Entry {
  creds?: TenantCredentials;
  /** When to start renewing in the background (jittered per tenant, so renewals spread out). */
  renewAt: number;
  inflight?: Promise<TenantCredentials>;
}

/** Credentials closer than this to expiry are never handed out: callers wait for new ones. */
const HARD_MARGIN_MS = 60_000;

/**
 * The token vending machine: per tenant, credentials from STS AssumeRole on `roleArn` with the
 * tenant's session policy (only items under `T#<tenant>`), cached until shortly before they
 * expire. One AssumeRole per tenant at a time (concurrent callers share it); renewal starts in
 * the background a jittered while before expiry, and callers keep the current credentials
 * meanwhile, so an expiry never makes a crowd of requests wait on STS. The cache is bounded
 * (least recently used tenants fall out and assume again on their next request).
 */
export function tokenVendingMachine(opts: {
  roleArn: string;
  sts: STSClient;
  tables: string[];
  sessionSeconds: number;
  cacheSize: number;
  clock: Clock;
  logger: Logger;
}) {
  const { sts, clock, logger } = opts;
  const cache = new LRUCache<string, Entry>({ max: opts.cacheSize });
  let assumed = 0;

  async function assume(tenantId: string): Promise<TenantCredentials> {
    assumed++;
    let out;
    try {
      out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: opts.roleArn,
          RoleSessionName: `hm-${tenantId}`.slice(0, 64),
          DurationSeconds: opts.sessionSeconds,
          Policy: JSON.stringify(tenantSessionPolicy(tenantId, opts.tables)),
        }),
      );
    } catch (err) {
      logger.error({ err, tenantId }, 'token vending machine: AssumeRole failed');
      throw unavailable('credentials_unavailable', 'Tenant-scoped store credentials could not be obtained; retry.');
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw unavailable('credentials_unavailable', 'STS answered AssumeRole without credentials; retry.');
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }

  function renewAt(creds: TenantCredentials): number {
    const lifetime = creds.expiration.getTime() - clock.now();
    const window = Math.min(10 * 60_000, lifetime / 3);
    return creds.expiration.getTime() - window - Math.random() * (window / 2);
  }

  function start(tenantId: string, e: Entry): Promise<TenantCredentials> {
    e.inflight ??= assume(tenantId)
      .then((creds) => {
        e.creds = creds;
        e.renewAt = renewAt(creds);
        return creds;
      })
      .finally(() => (e.inflight = undefined));
    return e.inflight;
  }

  return {
    /** Credentials for `tenantId`'s fenced data access. */
    async credentials(tenantId: string): Promise<TenantCredentials> {
      let e = cache.get(tenantId);
      if (!e) {
        e = { renewAt: 0 };
        cache.set(tenantId, e);
      }
      const now = clock.now();
      if (e.creds && now < e.renewAt) return e.creds;
      if (e.creds && now < e.creds.expiration.getTime() - HARD_MARGIN_MS) {
        // Due for renewal but still good: renew in the background, answer at once.
        start(tenantId, e).catch((err) => logger.warn({ err, tenantId }, 'token vending machine: background renewal failed; will retry'));
        return e.creds;
      }
      return start(tenantId, e);
    },
    stats: () => ({ tenants: cache.size, assumeRoleCalls: assumed }),
  };
}
export type TokenVendingMachine = ReturnType<typeof tokenVendingMachine>;

/**
 * One DynamoDB client per tenant (least recently used fall out), each asking the vending
 * machine for its tenant's credentials on every request (the machine caches them), all
 * sharing the base client's connection pool.
 */
export function tenantClients(base: DynamoDBClient, tvm: TokenVendingMachine, opts: { region: string; endpoint?: string; cacheSize: number }) {
  const clients = new LRUCache<string, DynamoDBClient>({ max: opts.cacheSize });
  return (tenantId: string): DynamoDBClient => {
    let c = clients.get(tenantId);
    if (!c) {
      const credentials = Object.assign(() => tvm.credentials(tenantId), { memoized: true });
      c = cachingMiddleware(new DynamoDBClient({ region: opts.region, endpoint: opts.endpoint, credentials, requestHandler: base.config.requestHandler, maxAttempts: 4, cacheMiddleware: true }));
      clients.set(tenantId, c);
    }
    return c;
  };
}
