import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import './fastify-types';
import type { AppDeps } from './deps';
import { Problem } from './schemas/common';
import { problemTypeBase, registerProblemHandlers } from './plugins/problems';
import { clientErrorHandler, frameworkErrors, registerExpectationHandler, registerShutdownAnswer, requestIdOf } from './plugins/http-errors';
import { registerValidation } from './plugins/validation';
import { lazySerializerFactory } from './plugins/lazy-compile';
import { lazyRequestLogger } from './plugins/request-logger';
import { agentJobPollGauges, registerMetrics, revocationStalenessGauge } from './plugins/metrics';
import { registerOpenApi } from './plugins/openapi';
import { registerAudit } from './plugins/audit';
import { agentAuth, customerAuth, adminAuth, routeAuthorization } from './plugins/auth';
import { callerBudget, clusterBudget, tokenExchangeBudget, type LimitDeps } from './plugins/rate-limit';
import { limitAuthFailures } from './plugins/auth-limits';
import { rateLimiter } from '../shared/rate-limiter';
import { agentKeyFormat, apiKeyFormat } from '../services/credentials/secret-format';
import { registerIdempotency } from './plugins/idempotency';
import { registerQueueBoard } from './plugins/queue-board';
import { opsRoutes } from './routes/ops';
import { tierRoutes } from './routes/customer/tiers';
import { problemReferenceRoutes } from './routes/problems';
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
import { agentRegionRoutes } from './routes/agent/regions';
import { adminRegionRoutes } from './routes/admin/regions';
import { agentProducerIdRoutes } from './routes/agent/producer-ids';
import { agentDeleteRecordsRoutes } from './routes/agent/delete-records';
import { agentConsumerGroupRoutes } from './routes/agent/consumer-groups';
import { agentGroupOffsetRoutes } from './routes/agent/group-offsets';
import { consumerGroupRoutes } from './routes/customer/consumer-groups';
import { agentIdentityRoutes } from './routes/customer/agent-identities';
import { adminSecretRoutes } from './routes/admin/secrets';
import { customerUsageRoutes } from './routes/customer/usage';
import { adminUsageRoutes } from './routes/admin/usage';
import { agentJobRoutes } from './routes/agent/jobs';
import { customerJobRoutes } from './routes/customer/jobs';

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
    genReqId: requestIdOf,
    // Errors below the routes are problem documents too (plugins/http-errors.ts).
    frameworkErrors,
    clientErrorHandler: clientErrorHandler(deps.logger as FastifyBaseLogger, problemTypeBase(config.publicUrl)),
    trustProxy: config.env === 'production',
    // Answered by registerShutdownAnswer instead, as a problem document.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('problemTypeBase', problemTypeBase(config.publicUrl));
  registerExpectationHandler(app.server, app.problemTypeBase);
  registerShutdownAnswer(app);
  app.decorateRequest('ctx', undefined);
  app.decorateRequest('auditTarget', undefined);
  app.decorateRequest('idempotency', undefined);
  app.decorateRequest('replayed', false);
  // Only JSON bodies: anything else is a 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  app.addSchema(Problem);
  registerValidation(app);
  registerProblemHandlers(app);
  const metrics = await registerMetrics(app, { redisAvailable: () => deps.redisGuard.healthy });
  revocationStalenessGauge(services.revocations.stalenessMs);
  agentJobPollGauges(services.agentJobs.polls);
  await registerOpenApi(app, config.publicUrl);
  registerAudit(app, services.audit, metrics.auditWriteFailures);

  const limits: LimitDeps = {
    limiter: rateLimiter({
      redis: deps.redis,
      guard: deps.redisGuard,
      prefix: config.queuePrefix,
      now: deps.clock.now,
      onDegraded: (limit) => metrics.rateLimitDegraded.inc({ limit }),
    }),
    onLimited: (limit) => metrics.rateLimited.inc({ limit }),
  };
  const authFailures = { ...limits, perMinute: config.limits.authFailuresPerMinute, now: deps.clock.now };
  const idOf = (format: typeof apiKeyFormat) => (credential: string) => {
    const parsed = format.parse(credential);
    return typeof parsed === 'object' ? parsed.id : undefined;
  };

  await app.register(opsRoutes(deps));
  await app.register(tierRoutes);
  await app.register(problemReferenceRoutes);
  if (serves('agent')) {
    await app.register(jwksRoutes(deps));
    await app.register(async (token) => {
      limitAuthFailures(token, { ...authFailures, keyIdOf: idOf(agentKeyFormat) });
      tokenExchangeBudget(token, { ...limits, perMinute: config.limits.tokenExchangesPerMinute, keyIdOf: idOf(agentKeyFormat) });
      await token.register(agentTokenRoutes(deps));
    });
  }

  if (serves('customer')) await app.register(async (customer) => {
    limitAuthFailures(customer, { ...authFailures, keyIdOf: idOf(apiKeyFormat) });
    customer.addHook('onRequest', customerAuth(services.apiKeys));
    callerBudget(customer, { ...limits, perMinute: config.rateLimitPerMinute });
    customer.addHook('preHandler', routeAuthorization);
    registerIdempotency(customer, services.idempotency);
    await customer.register(tenantSelfRoutes(deps));
    await customer.register(apiKeyRoutes(deps));
    await customer.register(clusterRoutes(deps));
    await customer.register(customerAuditRoutes(deps));
    await customer.register(agentKeyRoutes(deps));
    await customer.register(agentIdentityRoutes(deps));
    await customer.register(customerAgentRoutes(deps));
    await customer.register(topicRoutes(deps));
    await customer.register(consumerGroupRoutes(deps));
    await customer.register(customerUsageRoutes(deps));
    await customer.register(customerJobRoutes(deps));
  });

  if (serves('admin')) await app.register(async (admin) => {
    limitAuthFailures(admin, authFailures);
    admin.addHook('onRequest', adminAuth(services.adminVerifier));
    callerBudget(admin, { ...limits, perMinute: config.rateLimitPerMinute });
    admin.addHook('preHandler', routeAuthorization);
    registerIdempotency(admin, services.idempotency);
    await admin.register(adminTenantRoutes(deps));
    await admin.register(adminClusterRoutes(deps));
    await admin.register(adminAuditRoutes(deps));
    await admin.register(adminQueueRoutes(deps));
    await admin.register(adminFleetRoutes(deps));
    await admin.register(adminRegionRoutes(deps));
    await admin.register(adminSecretRoutes(deps));
    await admin.register(adminUsageRoutes(deps));
  });

  if (serves('admin')) {
    await registerQueueBoard(app, { verifier: services.adminVerifier, queues: () => services.queueBoard.all(), secureCookie: config.publicUrl.startsWith('https:') });
  }

  // Agents: the cluster's metadata budget (heartbeats: each agent's own), no idempotency
  // header (their writes are idempotent by design: agent id, file id, job lease token).
  if (serves('agent')) await app.register(async (agent) => {
    limitAuthFailures(agent, { ...authFailures, knownGood: (token) => services.agentTokens.isVerified(token) });
    agent.addHook('onRequest', agentAuth(services.agentTokens, services.revocations));
    clusterBudget(agent, { ...limits, ratePerSecond: services.clusterMetadataRate });
    await agent.register(agentFleetRoutes(deps, metrics));
    await agent.register(agentLogRoutes(deps));
    await agent.register(agentRegionRoutes(deps));
    await agent.register(agentProducerIdRoutes(deps));
    await agent.register(agentDeleteRecordsRoutes(deps));
    await agent.register(agentConsumerGroupRoutes(deps));
    await agent.register(agentGroupOffsetRoutes(deps));
    await agent.register(agentJobRoutes(deps));
  });

  return app;
}
