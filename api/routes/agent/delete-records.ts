import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { ClusterParams } from '../../schemas/clusters';
import { problems, SEQUENCER_CODES } from '../../schemas/common';
import { DeleteRecordsBody, DeleteRecordsResponse } from '../../schemas/delete-records';
import { clusterOf } from './cluster-of';

/** Kafka DeleteRecords: advances log start offsets (never past the high watermark). */
export const agentDeleteRecordsRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const cluster = clusterOf(deps);
  app.post(
    '/agent/v1/clusters/:clusterId/delete-records',
    {
      schema: {
        tags: ['agent'],
        operationId: 'deleteRecords', summary: 'Kafka DeleteRecords: move log start offsets forward; per-partition Kafka errors', description: 'Moves each partition\'s log start offset forward to the given offset (-1: the high watermark); batches wholly before it are dropped and their files marked for deletion when empty. Per-partition Kafka errors. Read-write agents only.',
        security: [{ agentJwt: [] }],
        params: ClusterParams,
        body: DeleteRecordsBody,
        response: { 200: DeleteRecordsResponse, ...problems(...SEQUENCER_CODES, 'invalid_topic_name', 'invalid_partition', 'duplicate_partition', 'too_many_partitions', 'invalid_offset', 'invalid_request') },
      },
      config: { agentWrite: true },
    },
    async (req) => deps.services.metadata.deleteRecords(await cluster(req), req.body),
  );
};
