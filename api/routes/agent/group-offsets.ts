import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { CommitOffsetsBody, CommitOffsetsResponse, FetchOffsetsQuery, FetchOffsetsResponse, GroupParams } from '../../schemas/consumer-groups';
import { clusterOf } from './cluster-of';

/** Kafka OffsetCommit, OffsetFetch and DeleteGroups: a consumer group's committed offsets. */
export const agentGroupOffsetRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata } = deps.services;
  const cluster = clusterOf(deps);
  const security = [{ agentJwt: [] }];
  const path = '/agent/v1/clusters/:clusterId/consumer-groups/:group';

  app.put(
    `${path}/offsets`,
    {
      logLevel: 'warn',
      schema: {
        tags: ['agent'],
        summary: 'Kafka OffsetCommit: within a generation, or standalone while the group has no members',
        security,
        params: GroupParams,
        body: CommitOffsetsBody,
        response: { 200: CommitOffsetsResponse, ...problems(400, 401, 403, 404, 409, 422, 503) },
      },
      config: { agentWrite: true },
    },
    async (req) => metadata.commitOffsets(await cluster(req), req.params.group, req.body),
  );

  app.get(
    `${path}/offsets`,
    {
      logLevel: 'warn',
      schema: { tags: ['agent'], summary: 'Kafka OffsetFetch', security, params: GroupParams, querystring: FetchOffsetsQuery, response: { 200: FetchOffsetsResponse, ...problems(400, 401, 403, 404, 409, 503) } },
    },
    async (req) => {
      const t = req.query.topic;
      return metadata.fetchOffsets(await cluster(req), req.params.group, t === undefined ? undefined : Array.isArray(t) ? t : [t]);
    },
  );

  app.delete(
    path,
    {
      schema: {
        tags: ['agent'],
        summary: 'Kafka DeleteGroups: only a group without members (409 non_empty_group); its offsets go',
        security,
        params: GroupParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problems(400, 401, 403, 404, 409, 503) },
      },
      config: { agentWrite: true },
    },
    async (req, reply) => {
      await metadata.deleteGroup(await cluster(req), req.params.group);
      return reply.code(204).send(null);
    },
  );
};
