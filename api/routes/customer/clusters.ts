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
        operationId: 'createCluster', summary: 'Create a virtual cluster (202: provisioning continues in the background)', description: 'Creates a virtual cluster in `provisioning` state and answers 202; it becomes `ready` when the background job finishes (poll GET /v1/clusters/{clusterId}). The tier may not exceed the tenant\'s plan; multi-region (three regions, write quorum 2) needs enterprise. Scope `clusters:write`; accepts Idempotency-Key.',
        security,
        headers: IdempotencyHeaders,
        body: CreateClusterBody,
        response: { 202: Cluster, ...problems('tier_not_allowed', 'multi_region_not_allowed', 'invalid_regions', 'invalid_storage', 'invalid_write_quorum', 'retention_exceeds_tier', 'cluster_name_taken', 'cluster_limit_reached', 'concurrent_modification', 'tenant_not_found') },
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
      schema: { tags: ['customer'], operationId: 'listClusters', summary: 'List clusters', description: 'The tenant\'s clusters, newest first; deleted ones only with includeDeleted=true. Scope `clusters:read`.', security, querystring: ListQuery, response: { 200: Page(Cluster), ...problems('invalid_cursor') } },
      config: { scope: 'clusters:read' },
    },
    async (req) => clusters.list(tenantOf(req), req.query.limit ?? 20, req.query.cursor, req.query.includeDeleted ?? false),
  );

  app.get(
    '/v1/clusters/:clusterId',
    {
      schema: { tags: ['customer'], operationId: 'getCluster', summary: 'Get a cluster (a ready one with its files by state and replicas reported missing)', description: 'One cluster; a ready one also carries its file counts by state and the replicas agents reported missing. Scope `clusters:read`.', security, params: ClusterParams, response: { 200: ClusterWithFiles, ...problems('cluster_not_found') } },
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
        operationId: 'updateCluster', summary: 'Change a cluster\'s tier, config or deletion protection', description: 'Changes the tier (within the tenant\'s plan and the cluster\'s current partitions), the defaults for new topics, or deletion protection. Scope `clusters:write`.',
        security,
        params: ClusterParams,
        body: UpdateClusterBody,
        response: { 200: Cluster, ...problems('cluster_not_found', 'cluster_deleting', 'concurrent_modification', 'tier_not_allowed', 'multi_region_not_allowed', 'partitions_exceed_tier', 'retention_exceeds_tier') },
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
        operationId: 'deleteCluster', summary: 'Delete a cluster (202: refused with 409 while deletion protection is on)', description: 'Starts deleting the cluster (202, status `deleting`): its agents are refused and its metadata removed in the background. Refused with 409 deletion_protected while deletion protection is on. Scope `clusters:write`.',
        security,
        params: ClusterParams,
        response: { 202: Cluster, ...problems('cluster_not_found', 'deletion_protected', 'concurrent_modification') },
      },
      config: { scope: 'clusters:write', audit: { action: 'cluster.delete', target: 'cluster', idParam: 'clusterId' } },
    },
    async (req, reply) => reply.code(202).send(await clusters.delete(req.ctx!, tenantOf(req), req.params.clusterId)),
  );
};
