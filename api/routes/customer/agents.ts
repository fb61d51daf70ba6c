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
        summary: 'The cluster\'s agents with their liveness and last counters',
        security: [{ apiKey: [] }],
        params: ClusterParams,
        querystring: PageQuery,
        response: { 200: Page(AgentView), ...problems(400, 401, 403, 404) },
      },
      config: { scope: 'agents:read' },
    },
    async (req) => deps.services.fleet.list(tenantOf(req), req.params.clusterId, req.query.limit ?? 20, req.query.cursor),
  );
};
