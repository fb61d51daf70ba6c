import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { ClusterParams } from '../../schemas/clusters';
import { problems, SEQUENCER_CODES } from '../../schemas/common';
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
        operationId: 'initProducerId', summary: 'Kafka InitProducerId: a new producer id, or the transactional id\'s with its epoch bumped', description: 'A new idempotent producer id with epoch 0, or for a transactional id its producer id with the epoch bumped (fencing the previous instance). Read-write agents only.',
        security: [{ agentJwt: [] }],
        params: ClusterParams,
        body: InitProducerIdBody,
        response: { 200: InitProducerIdResponse, ...problems(...SEQUENCER_CODES, 'invalid_transactional_id', 'invalid_transaction_timeout', 'invalid_producer_fields', 'invalid_request') },
      },
      config: { agentWrite: true },
    },
    async (req) => deps.services.metadata.initProducerId(await cluster(req), req.body),
  );
};
