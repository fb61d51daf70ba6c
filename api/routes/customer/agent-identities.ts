import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { IdempotencyHeaders, Page, PageQuery, problems } from '../../schemas/common';
import { ClusterParams } from '../../schemas/clusters';
import { AgentIdentity, AgentIdentityParams, CreateAgentIdentityBody } from '../../schemas/agent-identities';
import { tenantOf } from './tenant-of';

/** Trust rules: which AWS roles may exchange a signed STS request for a cluster's agent tokens. */
export const agentIdentityRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const rules = deps.services.trustRules;
  const security = [{ apiKey: [] }];

  app.post(
    '/v1/clusters/:clusterId/agent-identities',
    {
      schema: {
        tags: ['customer'],
        operationId: 'createAgentIdentity', summary: 'Trust an AWS role pattern as this cluster\'s agents (no static secret needed)', description: 'Adds a trust rule: agents running as an AWS role matching `roleArnPattern` in `accountId` may exchange a presigned STS GetCallerIdentity request for this cluster\'s agent tokens, with the given access. Scope `agent-identities:write`; accepts Idempotency-Key.',
        security,
        params: ClusterParams,
        headers: IdempotencyHeaders,
        body: CreateAgentIdentityBody,
        response: { 201: AgentIdentity, ...problems('cluster_not_found', 'cluster_deleting', 'invalid_role_pattern', 'role_path_not_supported', 'account_mismatch', 'invalid_expiry', 'trust_rule_limit_reached') },
      },
      config: { scope: 'agent-identities:write', idempotent: true, audit: { action: 'agent_identity.create', target: 'agent_identity' } },
    },
    async (req, reply) => {
      const rule = await rules.create(req.ctx!, tenantOf(req), req.params.clusterId, req.body);
      req.auditTarget = { id: rule.id };
      return reply.code(201).send(rule);
    },
  );

  app.get(
    '/v1/clusters/:clusterId/agent-identities',
    {
      schema: { tags: ['customer'], operationId: 'listAgentIdentities', summary: 'List a cluster\'s trust rules', description: 'The cluster\'s trust rules. Scope `agent-identities:read`.', security, params: ClusterParams, querystring: PageQuery, response: { 200: Page(AgentIdentity), ...problems('cluster_not_found', 'invalid_cursor') } },
      config: { scope: 'agent-identities:read' },
    },
    async (req) => rules.list(tenantOf(req), req.params.clusterId, req.query.limit ?? 20, req.query.cursor),
  );

  app.delete(
    '/v1/clusters/:clusterId/agent-identities/:identityId',
    {
      schema: {
        tags: ['customer'],
        operationId: 'deleteAgentIdentity', summary: 'Delete a trust rule; tokens issued under it stop working within seconds', description: 'Deletes the trust rule; tokens issued under it are refused within seconds. Scope `agent-identities:write`.',
        security,
        params: AgentIdentityParams,
        response: { 200: AgentIdentity, ...problems('cluster_not_found', 'agent_identity_not_found') },
      },
      config: { scope: 'agent-identities:write', audit: { action: 'agent_identity.delete', target: 'agent_identity', idParam: 'identityId' } },
    },
    async (req) => rules.remove(tenantOf(req), req.params.clusterId, req.params.identityId),
  );
};
