import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isoTime } from '../../../shared/clock';
import type { AppDeps } from '../../deps';
import { problems, SEQUENCER_CODES } from '../../schemas/common';
import { ClusterJobParams, CompleteBody, CompleteResponse, FailBody, FailResponse, JobHeartbeatResponse, JobParams, LeaseBody, LeasedJob, PollBody } from '../../schemas/jobs';
import { agentOf } from './agent-of';
import { abortOnClose } from './cluster-of';

/**
 * Agents pull their jobs: a long poll hands out one job under a fresh lease token; the agent
 * heartbeats to keep the lease, then completes (its result is validated and applied to the
 * metadata first) or fails it. A token that no longer holds the lease is a 409 and changes
 * nothing. Only read-write agents registered with the `jobs` role get jobs.
 */
export const agentJobRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { agentJobs } = deps.services;
  const security = [{ agentJwt: [] }];
  const path = '/agent/v1/clusters/:clusterId/jobs';

  app.post(
    `${path}/poll`,
    {
      logLevel: 'warn',
      schema: {
        operationId: 'pollAgentJob',
        tags: ['agent'],
        summary: 'Wait for a job (long poll, up to 20 s)',
        description: 'Answers 200 with a leased job, or 204 when none came within `waitMs`. Only read-write agents registered with the `jobs` role may poll (403 `read_only_agent`, `missing_role`).',
        security,
        params: ClusterJobParams,
        body: PollBody,
        response: { 200: LeasedJob, 204: Type.Null({ description: 'No job within the wait' }), ...problems('cluster_not_found', 'cluster_provisioning', 'cluster_deleting', 'agent_not_registered', 'agent_not_live', 'missing_role', 'read_only_agent') },
      },
      config: { agentWrite: true },
    },
    async (req, reply) => {
      const lease = await agentJobs.poll(agentOf(req), req.body.agentId, req.body.waitMs ?? 20_000, abortOnClose(reply));
      if (!lease) return reply.code(204).send(null);
      return { ...lease, payload: lease.payload as unknown as Record<string, unknown>, leaseExpiresAt: isoTime(lease.leaseExpiresAt) };
    },
  );

  app.post(
    `${path}/:jobId/heartbeat`,
    {
      logLevel: 'warn',
      schema: {
        operationId: 'heartbeatAgentJob',
        tags: ['agent'],
        summary: 'Extend a job\'s lease',
        description: 'Extends the lease by the lease duration; answers `cancelled` (and ends the job) when its work became moot. 409 `stale_lease` when the token does not hold the lease.',
        security,
        params: JobParams,
        body: LeaseBody,
        response: { 200: JobHeartbeatResponse, ...problems(...SEQUENCER_CODES, 'stale_lease', 'read_only_agent') },
      },
      config: { agentWrite: true },
    },
    async (req) => {
      const out = await agentJobs.heartbeat(agentOf(req), req.params.jobId, req.body.leaseToken);
      return out.status === 'extended' ? { status: out.status, leaseExpiresAt: isoTime(out.leaseExpiresAt) } : out;
    },
  );

  app.post(
    `${path}/:jobId/complete`,
    {
      schema: {
        operationId: 'completeAgentJob',
        tags: ['agent'],
        summary: 'Report a job done, with its result',
        description: 'The result is validated and applied to the metadata before the job ends (a compaction that no longer exactly covers its inputs is `refused`, and its new file is scheduled for deletion). Retry-safe. 409 `stale_lease` when the token does not hold the lease.',
        security,
        params: JobParams,
        body: CompleteBody,
        response: {
          200: CompleteResponse,
          ...problems(
            ...SEQUENCER_CODES,
            'stale_lease',
            'read_only_agent',
            'invalid_result',
            'invalid_file_id',
            'invalid_object_key',
            'invalid_size',
            'invalid_replicas',
            'duplicate_replica_region',
            'batch_outside_file',
            'overlapping_batches',
            'too_many_batches',
            'unknown_replica_region',
            'unknown_replica_bucket',
            'insufficient_replicas',
            'replica_not_listed',
            'checksum_mismatch',
            'commit_too_large',
          ),
        },
      },
      config: { agentWrite: true },
    },
    async (req) => agentJobs.complete(agentOf(req), req.params.jobId, req.body.leaseToken, req.body.result),
  );

  app.post(
    `${path}/:jobId/fail`,
    {
      schema: {
        operationId: 'failAgentJob',
        tags: ['agent'],
        summary: 'Report a job failed',
        description: 'Retryable failures are retried with exponential backoff until the job\'s attempts run out (then it stays failed and visible); others fail it now. 409 `stale_lease` when the token does not hold the lease.',
        security,
        params: JobParams,
        body: FailBody,
        response: { 200: FailResponse, ...problems('stale_lease', 'read_only_agent') },
      },
      config: { agentWrite: true },
    },
    async (req) => agentJobs.fail(agentOf(req), req.params.jobId, req.body.leaseToken, req.body.error, req.body.retryable),
  );
};
