import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { AppDeps } from '../../deps';
import { Id, problems } from '../../schemas/common';
import { TopicList } from '../../schemas/topics';
import { CommitFileBody, CommitFileResponse, FetchPlanBody, FetchPlanResponse, ListOffsetsBody, ListOffsetsResponse } from '../../schemas/log-metadata';
import { agentOf } from './agent-of';

const ClusterParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });

/**
 * The Kafka log metadata, for agents: commit a file they uploaded to the customer's bucket
 * (offsets are assigned here, durably, before the answer), plan fetches, list offsets.
 * A 503 `not_leader` names the node that leads the cluster in `leader`.
 */
export const agentLogRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata, clusterAccess } = deps.services;
  const security = [{ agentJwt: [] }];
  const errors = problems(400, 401, 403, 404, 409, 413, 422, 503);
  // The data path runs at thousands of requests a second: log failures, not every call.
  const logLevel = 'warn';
  const ref = (req: Parameters<typeof agentOf>[0]) => {
    const a = agentOf(req);
    return clusterAccess(a.tenantId, a.clusterId);
  };

  app.get(
    '/agent/v1/clusters/:clusterId/topics',
    { schema: { tags: ['agent'], summary: 'Topics and partition counts', security, params: ClusterParams, response: { 200: TopicList, ...errors } } },
    async (req) => ({ items: await metadata.listTopics(await ref(req)) }),
  );

  app.post(
    '/agent/v1/clusters/:clusterId/files',
    {
      logLevel,
      schema: {
        tags: ['agent'],
        summary: 'Commit an uploaded file: assigns offsets to its batches (idempotent on fileId)',
        security,
        params: ClusterParams,
        body: CommitFileBody,
        response: { 200: CommitFileResponse, ...errors },
      },
      config: { agentWrite: true },
    },
    async (req) => metadata.commitFile(await ref(req), req.body),
  );

  app.post(
    '/agent/v1/clusters/:clusterId/fetch-plan',
    {
      logLevel,
      schema: { tags: ['agent'], summary: 'Which files and byte ranges hold the requested offsets', security, params: ClusterParams, body: FetchPlanBody, response: { 200: FetchPlanResponse, ...errors } },
    },
    // The plan shares the sequencer's (read-only) replica arrays; serialising only reads them.
    async (req) => (await metadata.fetchPlan(await ref(req), req.body)) as Static<typeof FetchPlanResponse>,
  );

  app.post(
    '/agent/v1/clusters/:clusterId/list-offsets',
    {
      logLevel,
      schema: { tags: ['agent'], summary: 'Earliest, latest, max-timestamp or by-timestamp offsets', security, params: ClusterParams, body: ListOffsetsBody, response: { 200: ListOffsetsResponse, ...errors } },
    },
    async (req) => metadata.listOffsets(await ref(req), req.body),
  );
};
