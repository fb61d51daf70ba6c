import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { ClusterParams } from '../../schemas/clusters';
import { problems } from '../../schemas/common';
import { InitProducerIdBody, InitProducerIdResponse } from '../../schemas/producer-ids';
import { clusterOf } from './cluster-of';

/** Kafka InitProducerId for agents' producers: unique ids per cluster, epochs per transactional id. */
export const agentProducerIdRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const cluster = clusterOf(deps);
  app.post(
    '/agent/v1/clusters/:clusterId/producer-ids',
    {
      schema: {
        tags: ['agent'],
        summary: 'Kafka InitProducerId: a new producer id, or the transactional id\'s with its epoch bumped',
        security: [{ agentJwt: [] }],
        params: ClusterParams,
        body: InitProducerIdBody,
        response: { 200: InitProducerIdResponse, ...problems(400, 401, 403, 404, 409, 503) },
      },
      config: { agentWrite: true },
    },
    async (req) => deps.services.metadata.initProducerId(await cluster(req), req.body),
  );
};
