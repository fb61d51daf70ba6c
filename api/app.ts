import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import './fastify-types';
import { randomUUID } from 'node:crypto';
import type { AppDeps } from './deps';
import { Problem } from './schemas/common';
import { registerProblemHandlers } from './plugins/problems';
import { registerValidation } from './plugins/validation';
import { lazySerializerFactory } from './plugins/lazy-compile';
import { lazyRequestLogger } from './plugins/request-logger';
import { registerMetrics } from './plugins/metrics';
import { registerOpenApi } from './plugins/openapi';
import { registerAudit } from './plugins/audit';
import { agentAuth, customerAuth, adminAuth } from './plugins/auth';
import { registerRateLimit } from './plugins/rate-limit';
import { registerIdempotency } from './plugins/idempotency';
import { registerQueueBoard } from './plugins/queue-board';
import { opsRoutes } from './routes/ops';
import { tierRoutes } from './routes/customer/tiers';
import { tenantSelfRoutes } from './routes/customer/tenant';
import { apiKeyRoutes } from './routes/customer/api-keys';
import { clusterRoutes } from './routes/customer/clusters';
import { customerAuditRoutes } from './routes/customer/audit';
import { adminTenantRoutes } from './routes/admin/tenants';
import { adminClusterRoutes } from './routes/admin/clusters';
import { adminAuditRoutes } from './routes/admin/audit';
import { adminQueueRoutes } from './routes/admin/queues';
import { adminFleetRoutes } from './routes/admin/fleet';
import { agentKeyRoutes } from './routes/customer/agent-keys';
import { customerAgentRoutes } from './routes/customer/agents';
import { agentTokenRoutes } from './routes/agent/token';
import { agentFleetRoutes } from './routes/agent/fleet';
import { jwksRoutes } from './routes/jwks';
import { topicRoutes } from './routes/customer/topics';
import { agentLogRoutes } from './routes/agent/log-metadata';
import { customerUsageRoutes } from './routes/customer/usage';
import { adminUsageRoutes } from './routes/admin/usage';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export type Audience = 'customer' | 'admin' | 'agent';

export interface AppOptions {
  /** Route groups to serve (default all three); the Lambda API serves customers and admins only. */
  audiences?: readonly Audience[];
}

/** Builds the HTTP application: plugins, then the three audiences' route groups. */
export async function buildApp(deps: AppDeps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const serves = (a: Audience) => !opts.audiences || opts.audiences.includes(a);
  const { config, services } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: config.bodyLimitBytes,
    // A caller's request id is kept when it is well-formed, so traces join up.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req_${randomUUID()}`;
    },
    trustProxy: config.env === 'production',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('ctx', undefined);
  app.decorateRequest('auditTarget', undefined);
  app.decorateRequest('idempotency', undefined);
  // Only JSON bodies: anything else is a 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  app.addSchema(Problem);
  registerValidation(app);
  registerProblemHandlers(app);
  const metrics = await registerMetrics(app);
  await registerOpenApi(app, config.publicUrl);
  registerAudit(app, services.audit, metrics.auditWriteFailures);

  await app.register(opsRoutes(deps));
  await app.register(tierRoutes);
  if (serves('agent')) {
    await app.register(jwksRoutes(deps));
    await app.register(agentTokenRoutes(deps));
  }

  if (serves('customer')) await app.register(async (customer) => {
    customer.addHook('onRequest', customerAuth(services.apiKeys));
    await registerRateLimit(customer, { redis: deps.redis, perMinute: config.rateLimitPerMinute, namespace: config.queuePrefix });
    registerIdempotency(customer, services.idempotency);
    await customer.register(tenantSelfRoutes(deps));
    await customer.register(apiKeyRoutes(deps));
    await customer.register(clusterRoutes(deps));
    await customer.register(customerAuditRoutes(deps));
    await customer.register(agentKeyRoutes(deps));
    await customer.register(customerAgentRoutes(deps));
    await customer.register(topicRoutes(deps));
    await customer.register(customerUsageRoutes(deps));
  });

  if (serves('admin')) await app.register(async (admin) => {
    admin.addHook('onRequest', adminAuth(services.adminVerifier));
    await registerRateLimit(admin, { redis: deps.redis, perMinute: config.rateLimitPerMinute, namespace: config.queuePrefix });
    registerIdempotency(admin, services.idempotency);
    await admin.register(adminTenantRoutes(deps));
    await admin.register(adminClusterRoutes(deps));
    await admin.register(adminAuditRoutes(deps));
    await admin.register(adminQueueRoutes(deps));
    await admin.register(adminFleetRoutes(deps));
    await admin.register(adminUsageRoutes(deps));
  });

  if (serves('admin')) {
    await registerQueueBoard(app, { verifier: services.adminVerifier, queues: () => services.queueBoard.all(), secureCookie: config.publicUrl.startsWith('https:') });
  }

  // Agents: no shared rate limit here (heartbeats are budgeted by interval), no idempotency
  // header (their writes are idempotent by design: agent id, file id, job lease token).
  if (serves('agent')) await app.register(async (agent) => {
    agent.addHook('onRequest', agentAuth(services.agentTokens, services.revocations));
    await agent.register(agentFleetRoutes(deps, metrics));
    await agent.register(agentLogRoutes(deps));
  });

  return app;
}
