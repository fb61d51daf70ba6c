import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { problems, SEQUENCER_CODES, GROUP_MEMBER_CODES } from '../../schemas/common';
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
        operationId: 'commitGroupOffsets', summary: 'Kafka OffsetCommit: within a generation, or standalone while the group has no members', description: 'Kafka OffsetCommit: commits offsets within the member\'s generation, or standalone while the group has no members; per-partition Kafka errors.',
        security,
        params: GroupParams,
        body: CommitOffsetsBody,
        response: { 200: CommitOffsetsResponse, ...problems(...SEQUENCER_CODES, ...GROUP_MEMBER_CODES, 'invalid_topic_name', 'invalid_partition', 'duplicate_partition', 'too_many_partitions', 'invalid_offset', 'invalid_metadata', 'invalid_leader_epoch') },
      },
      config: { agentWrite: true },
    },
    async (req) => metadata.commitOffsets(await cluster(req), req.params.group, req.body),
  );

  app.get(
    `${path}/offsets`,
    {
      logLevel: 'warn',
      schema: { tags: ['agent'], operationId: 'fetchGroupOffsets', summary: 'Kafka OffsetFetch', description: 'Kafka OffsetFetch: the group\'s committed offsets, for the given topics or all.', security, params: GroupParams, querystring: FetchOffsetsQuery, response: { 200: FetchOffsetsResponse, ...problems(...SEQUENCER_CODES, 'invalid_group_id', 'invalid_topic_name') } },
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
        operationId: 'deleteGroup', summary: 'Kafka DeleteGroups: only a group without members (409 non_empty_group); its offsets go', description: 'Kafka DeleteGroups: deletes a group without members and its offsets.',
        security,
        params: GroupParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problems(...SEQUENCER_CODES, 'invalid_group_id', 'group_not_found', 'non_empty_group') },
      },
      config: { agentWrite: true },
    },
    async (req, reply) => {
      await metadata.deleteGroup(await cluster(req), req.params.group);
      return reply.code(204).send(null);
    },
  );
};
