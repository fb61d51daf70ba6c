import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { IdempotencyHeaders, Page, PageQuery, problems } from '../../schemas/common';
import { Cluster, ClusterParams, ClusterWithFiles, CreateClusterBody, UpdateClusterBody } from '../../schemas/clusters';
import { clusterStatsView } from './cluster-files';
import { tenantOf } from './tenant-of';

const ListQuery = Type.Object(
  { ...PageQuery.properties, includeDeleted: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);

export const clusterRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const clusters = deps.services.clusters;
  const security = [{ apiKey: [] }];

  app.post(
    '/v1/clusters',
    {
      schema: {
        tags: ['customer'],
        summary: 'Create a virtual cluster (202: provisioning continues in the background)',
        security,
        headers: IdempotencyHeaders,
        body: CreateClusterBody,
        response: { 202: Cluster, ...problems(400, 401, 403, 409, 422) },
      },
      config: { scope: 'clusters:write', idempotent: true, audit: { action: 'cluster.create', target: 'cluster' } },
    },
    async (req, reply) => {
      const cluster = await clusters.create(req.ctx!, tenantOf(req), req.body);
      req.auditTarget = { id: cluster.id };
      return reply.code(202).header('location', `/v1/clusters/${cluster.id}`).send(cluster);
    },
  );

  app.get(
    '/v1/clusters',
    {
      schema: { tags: ['customer'], summary: 'List clusters', security, querystring: ListQuery, response: { 200: Page(Cluster), ...problems(400, 401, 403) } },
      config: { scope: 'clusters:read' },
    },
    async (req) => clusters.list(tenantOf(req), req.query.limit ?? 20, req.query.cursor, req.query.includeDeleted ?? false),
  );

  app.get(
    '/v1/clusters/:clusterId',
    {
      schema: { tags: ['customer'], summary: 'Get a cluster (a ready one with its files by state and replicas reported missing)', security, params: ClusterParams, response: { 200: ClusterWithFiles, ...problems(400, 401, 403, 404) } },
      config: { scope: 'clusters:read' },
    },
    async (req) => {
      const cluster = await clusters.get(tenantOf(req), req.params.clusterId);
      return cluster.status === 'ready' ? { ...cluster, ...(await clusterStatsView(deps, cluster)) } : cluster;
    },
  );

  app.patch(
    '/v1/clusters/:clusterId',
    {
      schema: {
        tags: ['customer'],
        summary: 'Change a cluster\'s tier, config or deletion protection',
        security,
        params: ClusterParams,
        body: UpdateClusterBody,
        response: { 200: Cluster, ...problems(400, 401, 403, 404, 409, 422) },
      },
      config: { scope: 'clusters:write', audit: { action: 'cluster.update', target: 'cluster', idParam: 'clusterId' } },
    },
    async (req) => clusters.update(req.ctx!, tenantOf(req), req.params.clusterId, req.body),
  );

  app.delete(
    '/v1/clusters/:clusterId',
    {
      schema: {
        tags: ['customer'],
        summary: 'Delete a cluster (202: refused with 409 while deletion protection is on)',
        security,
        params: ClusterParams,
        response: { 202: Cluster, ...problems(400, 401, 403, 404, 409) },
      },
      config: { scope: 'clusters:write', audit: { action: 'cluster.delete', target: 'cluster', idParam: 'clusterId' } },
    },
    async (req, reply) => reply.code(202).send(await clusters.delete(req.ctx!, tenantOf(req), req.params.clusterId)),
  );
};
