import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { IdempotencyHeaders, Page, PageQuery, problems } from '../../schemas/common';
import { ClusterParams } from '../../schemas/clusters';
import { AgentKey, AgentKeyParams, AgentKeyWithSecret, CreateAgentKeyBody } from '../../schemas/agents';
import { tenantOf } from './tenant-of';

export const agentKeyRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const keys = deps.services.agentKeys;
  const security = [{ apiKey: [] }];

  app.post(
    '/v1/clusters/:clusterId/agent-keys',
    {
      schema: {
        tags: ['customer'],
        summary: 'Create an agent key for one cluster (the secret is shown once)',
        security,
        params: ClusterParams,
        headers: IdempotencyHeaders,
        body: CreateAgentKeyBody,
        response: { 201: AgentKeyWithSecret, ...problems(400, 401, 403, 404, 409) },
      },
      config: { scope: 'agent-keys:write', idempotent: true, audit: { action: 'agent_key.create', target: 'agent_key' } },
    },
    async (req, reply) => {
      const key = await keys.create(req.ctx!, tenantOf(req), req.params.clusterId, req.body);
      req.auditTarget = { id: key.id };
      return reply.code(201).send(key);
    },
  );

  app.get(
    '/v1/clusters/:clusterId/agent-keys',
    {
      schema: { tags: ['customer'], summary: 'List a cluster\'s agent keys', security, params: ClusterParams, querystring: PageQuery, response: { 200: Page(AgentKey), ...problems(400, 401, 403, 404) } },
      config: { scope: 'agent-keys:read' },
    },
    async (req) => keys.list(tenantOf(req), req.params.clusterId, req.query.limit ?? 20, req.query.cursor),
  );

  app.delete(
    '/v1/clusters/:clusterId/agent-keys/:agentKeyId',
    {
      schema: {
        tags: ['customer'],
        summary: 'Revoke an agent key; tokens minted from it stop working within seconds',
        security,
        params: AgentKeyParams,
        response: { 200: AgentKey, ...problems(400, 401, 403, 404) },
      },
      config: { scope: 'agent-keys:write', audit: { action: 'agent_key.revoke', target: 'agent_key', idParam: 'agentKeyId' } },
    },
    async (req) => keys.revoke(tenantOf(req), req.params.clusterId, req.params.agentKeyId),
  );
};
