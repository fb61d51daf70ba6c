import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isoTime } from '../../../shared/clock';
import type { AppDeps } from '../../deps';
import { Page, problems } from '../../schemas/common';
import { ClusterJobParams, JobListQuery, JobParams, JobViewSchema } from '../../schemas/jobs';
import type { JobView } from '../../../services/jobs/model';
import { tenantOf } from './tenant-of';

const present = (j: JobView) => ({
  id: j.id,
  type: j.type,
  state: j.state,
  attempts: j.attempts,
  maxAttempts: j.maxAttempts,
  agentId: j.agentId,
  createdAt: isoTime(j.createdAt),
  startedAt: j.startedAt ? isoTime(j.startedAt) : null,
  finishedAt: j.finishedAt ? isoTime(j.finishedAt) : null,
  error: j.error,
  outcome: j.outcome,
});

/** The customer's view of the jobs agents run for a cluster. */
export const customerJobRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { agentJobs } = deps.services;

  app.get(
    '/v1/clusters/:clusterId/jobs',
    {
      schema: {
        operationId: 'listClusterJobs',
        tags: ['customer'],
        summary: 'The cluster\'s agent jobs',
        description: 'Compaction, deletion, orphan scans and re-replication: type, state, attempts, agent, timings and error; filter by `state`, paginated. Failed jobs stay listed for 7 days, completed ones for a day.',
        security: [{ apiKey: [] }],
        params: ClusterJobParams,
        querystring: JobListQuery,
        response: { 200: Page(JobViewSchema), ...problems('cluster_not_found', 'cluster_provisioning', 'cluster_deleting', 'invalid_cursor') },
      },
      config: { scope: 'jobs:read' },
    },
    async (req) => {
      const page = await agentJobs.list(tenantOf(req), req.params.clusterId, { state: req.query.state as never, limit: req.query.limit ?? 20, cursor: req.query.cursor });
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/clusters/:clusterId/jobs/:jobId',
    {
      schema: {
        operationId: 'getClusterJob',
        tags: ['customer'],
        summary: 'One agent job',
        description: 'A job of the cluster by id (404 `job_not_found` once it has been removed from the history).',
        security: [{ apiKey: [] }],
        params: JobParams,
        response: { 200: JobViewSchema, ...problems('cluster_not_found', 'cluster_provisioning', 'cluster_deleting', 'job_not_found') },
      },
      config: { scope: 'jobs:read' },
    },
    async (req) => present(await agentJobs.get(tenantOf(req), req.params.clusterId, req.params.jobId)),
  );
};
