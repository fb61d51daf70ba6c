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
        operationId: 'createAgentKey', summary: 'Create an agent key for one cluster (the secret is shown once)', description: 'Creates an agent key (`hm_ak_…`) bound to this cluster, read-write or read-only. The `secret` is in this answer only. Agents exchange it at POST /agent/v1/token. Scope `agent-keys:write`; accepts Idempotency-Key.',
        security,
        params: ClusterParams,
        headers: IdempotencyHeaders,
        body: CreateAgentKeyBody,
        response: { 201: AgentKeyWithSecret, ...problems('cluster_not_found', 'cluster_deleting') },
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
      schema: { tags: ['customer'], operationId: 'listAgentKeys', summary: 'List a cluster\'s agent keys', description: 'The cluster\'s agent keys (never their secrets). Scope `agent-keys:read`.', security, params: ClusterParams, querystring: PageQuery, response: { 200: Page(AgentKey), ...problems('cluster_not_found', 'invalid_cursor') } },
      config: { scope: 'agent-keys:read' },
    },
    async (req) => keys.list(tenantOf(req), req.params.clusterId, req.query.limit ?? 20, req.query.cursor),
  );

  app.delete(
    '/v1/clusters/:clusterId/agent-keys/:agentKeyId',
    {
      schema: {
        tags: ['customer'],
        operationId: 'revokeAgentKey', summary: 'Revoke an agent key; tokens minted from it stop working within seconds', description: 'Revokes the agent key; token exchanges with it fail at once and tokens already minted from it are refused within seconds. Scope `agent-keys:write`.',
        security,
        params: AgentKeyParams,
        response: { 200: AgentKey, ...problems('cluster_not_found', 'agent_key_not_found') },
      },
      config: { scope: 'agent-keys:write', audit: { action: 'agent_key.revoke', target: 'agent_key', idParam: 'agentKeyId' } },
    },
    async (req) => keys.revoke(tenantOf(req), req.params.clusterId, req.params.agentKeyId),
  );
};
