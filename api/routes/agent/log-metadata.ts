import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { AppDeps } from '../../deps';
import { Id, problems, SEQUENCER_CODES } from '../../schemas/common';
import { TopicList } from '../../schemas/topics';
import { CommitFileBody, CommitFileResponse, CommitFilesBody, CommitFilesResponse, FetchPlanBody, FetchPlanResponse, ListOffsetsBody, ListOffsetsResponse } from '../../schemas/log-metadata';
import { agentOf } from './agent-of';
import { answer, MSGPACK, registerMsgpack } from '../../plugins/msgpack';
import { perFileAnswers } from './file-batch-answers';

const ClusterParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });

/**
 * The Kafka log metadata, for agents: commit a file they uploaded to the customer's bucket
 * (offsets are assigned here, durably, before the answer), plan fetches, list offsets.
 * A 503 `not_leader` names the node that leads the cluster in `leader`. Bodies may be sent as
 * MessagePack (plugins/msgpack.ts); a commit answers in MessagePack when asked to.
 */
export const agentLogRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata, clusterAccess } = deps.services;
  const security = [{ agentJwt: [] }];
  // The data path runs at thousands of requests a second: log failures, not every call.
  const logLevel = 'warn';
  registerMsgpack(app);
  const consumes = ['application/json', MSGPACK];
  const ref = (req: Parameters<typeof agentOf>[0]) => {
    const a = agentOf(req);
    return clusterAccess(a.tenantId, a.clusterId);
  };

  app.get(
    '/agent/v1/clusters/:clusterId/topics',
    { schema: { tags: ['agent'], operationId: 'listAgentTopics', summary: 'Topics and partition counts', description: 'The cluster\'s topics with partition counts and config, from the metadata leader.', security, params: ClusterParams, response: { 200: TopicList, ...problems(...SEQUENCER_CODES) } } },
    async (req) => ({ items: await metadata.listTopics(await ref(req)) }),
  );

  app.post(
    '/agent/v1/clusters/:clusterId/files',
    {
      logLevel,
      schema: {
        tags: ['agent'],
        operationId: 'commitFile', summary: 'Commit an uploaded file: assigns offsets to its batches (idempotent on fileId)', description: 'Commits the metadata of a file the agent has written to the cluster\'s bucket(s): assigns offsets to its batches, in request order, once durable. Idempotent on fileId: a retry answers the same offsets. Multi-region clusters need replicas in the write quorum of regions. Read-write agents only.',
        security,
        consumes,
        produces: ['application/json', MSGPACK],
        params: ClusterParams,
        body: CommitFileBody,
        response: { 200: CommitFileResponse, ...problems(...SEQUENCER_CODES, 'invalid_file_id', 'invalid_object_key', 'invalid_size', 'invalid_replicas', 'duplicate_replica_region', 'no_batches', 'too_many_batches', 'invalid_batch', 'invalid_byte_range', 'batch_outside_file', 'overlapping_batches', 'duplicate_batch', 'invalid_record_count', 'invalid_producer_fields', 'invalid_topic_name', 'invalid_partition', 'invalid_timestamp', 'invalid_request', 'file_id_conflict', 'commit_too_large', 'insufficient_replicas', 'unknown_replica_region', 'unknown_replica_bucket', 'malformed_msgpack') },
      },
      config: { agentWrite: true },
    },
    async (req, reply) => answer(req, reply, await metadata.commitFile(await ref(req), req.body)),
  );

  app.post(
    '/agent/v1/clusters/:clusterId/files/batch',
    {
      logLevel,
      schema: {
        tags: ['agent'],
        operationId: 'commitFiles', summary: 'Commit several uploaded files in one request (each idempotent on its fileId)',
        description: 'For agents that flush often: up to 32 files, committed as if one after another (offsets in request order), answered per file once durable. A file refused on its merits (the 4xx a single commit would answer: conflict, invalid batch, insufficient replicas…) gets that status and problem in its own entry; the others are committed. A 503 (not_leader, unavailable) or 429 fails the whole request: retry it as is, files already committed answer again with duplicate and the same offsets. Costs one unit of the cluster\'s metadata budget per file.',
        security,
        consumes,
        produces: ['application/json', MSGPACK],
        params: ClusterParams,
        body: CommitFilesBody,
        response: { 200: CommitFilesResponse, ...problems(...SEQUENCER_CODES, 'invalid_request', 'malformed_msgpack') },
      },
      config: { agentWrite: true, budgetCost: (req) => (req.body as Static<typeof CommitFilesBody>).files.length },
    },
    async (req, reply) => {
      const { files } = req.body;
      return answer(req, reply, perFileAnswers(files, await metadata.commitFiles(await ref(req), files)));
    },
  );

  app.post(
    '/agent/v1/clusters/:clusterId/fetch-plan',
    {
      logLevel,
      schema: { tags: ['agent'], operationId: 'getFetchPlan', summary: 'Which files and byte ranges hold the requested offsets', description: 'For each requested partition and offset, the files and byte ranges holding the batches from that offset, up to maxBytes, with high watermark and log start offset; per-partition Kafka errors.', security, consumes, params: ClusterParams, body: FetchPlanBody, response: { 200: FetchPlanResponse, ...problems(...SEQUENCER_CODES, 'invalid_topic_name', 'invalid_partition', 'duplicate_partition', 'too_many_partitions', 'invalid_offset', 'invalid_max_bytes', 'invalid_request', 'malformed_msgpack') } },
    },
    // The plan shares the sequencer's (read-only) replica arrays; serialising only reads them.
    async (req) => (await metadata.fetchPlan(await ref(req), req.body)) as Static<typeof FetchPlanResponse>,
  );

  app.post(
    '/agent/v1/clusters/:clusterId/list-offsets',
    {
      logLevel,
      schema: { tags: ['agent'], operationId: 'listOffsets', summary: 'Earliest, latest, max-timestamp or by-timestamp offsets', description: 'Kafka ListOffsets: per partition the earliest (-2), latest (-1), max-timestamp (-3) or first offset at or after a timestamp; per-partition Kafka errors.', security, consumes, params: ClusterParams, body: ListOffsetsBody, response: { 200: ListOffsetsResponse, ...problems(...SEQUENCER_CODES, 'invalid_topic_name', 'invalid_partition', 'duplicate_partition', 'too_many_partitions', 'invalid_timestamp', 'invalid_request', 'malformed_msgpack') } },
    },
    async (req) => metadata.listOffsets(await ref(req), req.body),
  );
};
