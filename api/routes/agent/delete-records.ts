import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { ClusterParams } from '../../schemas/clusters';
import { problems } from '../../schemas/common';
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
        summary: 'Kafka DeleteRecords: move log start offsets forward; per-partition Kafka errors',
        security: [{ agentJwt: [] }],
        params: ClusterParams,
        body: DeleteRecordsBody,
        response: { 200: DeleteRecordsResponse, ...problems(400, 401, 403, 404, 409, 422, 503) },
      },
      config: { agentWrite: true },
    },
    async (req) => deps.services.metadata.deleteRecords(await cluster(req), req.body),
  );
};
