import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { Page, PageQuery, problems } from '../../schemas/common';
import { Cluster, ClusterStatus } from '../../schemas/clusters';

const Query = Type.Object({ ...PageQuery.properties, status: Type.Optional(ClusterStatus) }, { additionalProperties: false });

export const adminClusterRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/admin/v1/clusters',
    {
      schema: { tags: ['admin'], operationId: 'listAllClusters', summary: 'List every tenant\'s clusters', description: 'Every tenant\'s clusters, optionally by status. Viewer role.', security: [{ adminJwt: [] }], querystring: Query, response: { 200: Page(Cluster), ...problems('invalid_cursor') } },
    },
    async (req) => deps.services.clusters.listAll(req.query.limit ?? 20, req.query.cursor, req.query.status),
  );
};
