import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { isIPv6 } from 'node:net';
import { AppError } from '../../shared/errors';
import { perMinute, perSecond, type Budget, type RateLimiter } from '../../shared/rate-limiter';

/**
 * Request budgets, counted in Redis so that every API process shares them (and counted in
 * this process while Redis is away: see shared/rate-limiter.ts). Refusals are 429
 * `rate_limited` problems with Retry-After and the budget's name in `limit`.
 *
 * - `caller`: customer and admin requests per minute, per tenant (or per admin);
 * - `cluster-metadata`: agent requests per second, per cluster, from the cluster's tier
 *   (`metadataRequestsPerSecond`); heartbeats are budgeted per agent instead (fleet service);
 * - `token-exchange-address`, `token-exchange-key`: agent token exchanges per minute;
 * - failed authentications: see auth-limits.ts.
 */
export function rateLimited(retryAfterMs: number, limit: string) {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(429, 'rate_limited', `Too many requests (${limit}); retry in ${retryAfterSeconds} s.`, { retryAfterSeconds, limit });
}

export interface LimitDeps {
  limiter: RateLimiter;
  /** Counts a refusal, by budget name. */
  onLimited(limit: string): void;
}

async function enforce(deps: LimitDeps, budget: Budget, key: string, cost = 1) {
  const wait = await deps.limiter.take(budget, key, cost);
  if (wait > 0) {
    deps.onLimited(budget.name);
    throw rateLimited(wait, budget.name);
  }
}

/** Customer and admin routes: the caller's budget, once authentication has named the caller. */
export function callerBudget(scope: FastifyInstance, deps: LimitDeps & { perMinute: number }) {
  const budget = perMinute('caller', deps.perMinute);
  // Before the body is parsed: a refused request costs no parsing.
  scope.addHook('preParsing', async (req) => {
    const a = req.ctx?.actor;
    if (!a) return;
    await enforce(deps, budget, 'tenantId' in a ? `t:${a.tenantId}` : `a:${a.id}`);
  });
}

/** Agent routes: the cluster's metadata budget, by its tier; routes with `ownBudget` skip it. */
export function clusterBudget(scope: FastifyInstance, deps: LimitDeps & { ratePerSecond(tenantId: string, clusterId: string): Promise<number | undefined> }) {
  const budgets = new Map<number, Budget>();
  const check = async (req: FastifyRequest, cost: number) => {
    const a = req.ctx?.actor;
    if (!a || a.kind !== 'agent') return;
    // An unknown cluster has no budget; the route answers 404.
    const rate = await deps.ratePerSecond(a.tenantId, a.clusterId);
    if (!rate) return;
    let budget = budgets.get(rate);
    if (!budget) budgets.set(rate, (budget = perSecond('cluster-metadata', rate)));
    // A request costing more than the whole burst could never pass: it takes the whole burst.
    await enforce(deps, budget, a.clusterId, Math.min(cost, budget.burst));
  };
  const hook = (req: FastifyRequest, _reply: FastifyReply, _payload: unknown, done: HookHandlerDoneFunction) => {
    check(req, 1).then(() => done(), done);
  };
  // Attached per route, so that heartbeats (the hottest route) do not even run it.
  scope.addHook('onRoute', (route) => {
    if (route.config?.ownBudget) return;
    const cost = route.config?.budgetCost;
    if (cost) {
      // The cost is in the body: checked once it is parsed and valid (a refused request has cost parsing).
      const own = route.preHandler ? [route.preHandler].flat() : [];
      route.preHandler = [async (req: FastifyRequest) => check(req, Math.max(1, cost(req))), ...own];
      return;
    }
    const own = route.preParsing ? [route.preParsing].flat() : [];
    route.preParsing = [...own, hook];
  });
}

/** POST /agent/v1/token: exchanges per client address and per agent key, before any work. */
export function tokenExchangeBudget(scope: FastifyInstance, deps: LimitDeps & { perMinute: number; keyIdOf(credential: string): string | undefined }) {
  const byAddress = perMinute('token-exchange-address', deps.perMinute);
  const byKey = perMinute('token-exchange-key', deps.perMinute);
  scope.addHook('onRequest', async (req) => {
    await enforce(deps, byAddress, clientAddress(req.ip));
    const keyId = deps.keyIdOf(bearerOf(req) ?? '');
    if (keyId) await enforce(deps, byKey, keyId);
  });
}

/** The presented bearer credential, if any (validation is auth's job). */
export function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : undefined;
}

/** The address a budget counts: IPv4 as is, IPv6 by its /64 (one site usually holds a whole /64). */
export function clientAddress(ip: string): string {
  const bare = ip.split('%')[0];
  if (bare.startsWith('::ffff:') && bare.includes('.')) return bare.slice(7);
  if (!isIPv6(bare)) return bare;
  const [head, tail] = bare.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
