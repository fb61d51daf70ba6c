import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { Page, PageQuery, problems } from '../../schemas/common';
import { ClusterParams } from '../../schemas/clusters';
import { AgentView } from '../../schemas/agents';
import { tenantOf } from './tenant-of';

export const customerAgentRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/v1/clusters/:clusterId/agents',
    {
      schema: {
        tags: ['customer'],
        operationId: 'listClusterAgents', summary: 'The cluster\'s agents with their liveness and last counters', description: 'The cluster\'s agents with state (live, suspect, dead, deregistered), version, zone, last heartbeat and last counters. Scope `agents:read`.',
        security: [{ apiKey: [] }],
        params: ClusterParams,
        querystring: PageQuery,
        response: { 200: Page(AgentView), ...problems('cluster_not_found', 'invalid_cursor') },
      },
      config: { scope: 'agents:read' },
    },
    async (req) => deps.services.fleet.list(tenantOf(req), req.params.clusterId, req.query.limit ?? 20, req.query.cursor),
  );
};
