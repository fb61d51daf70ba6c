import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { AppError } from '../../shared/errors';

/**
 * Per-caller request budget for a route group, counted in Redis so that every API process
 * shares it. Runs after authentication, so the key is the tenant (or admin), not the IP.
 */
export async function registerRateLimit(scope: FastifyInstance, opts: { redis: Redis; perMinute: number; namespace: string }) {
  await scope.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: opts.perMinute,
    timeWindow: 60_000,
    redis: opts.redis,
    nameSpace: `${opts.namespace}-rl-`,
    skipOnError: true,
    keyGenerator: (req) => {
      const a = req.ctx?.actor;
      if (a && 'tenantId' in a) return `t:${a.tenantId}`;
      if (a) return `a:${a.id}`;
      return `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) =>
      new AppError(429, 'rate_limited', `Too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s.`, { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) }),
  });
}
