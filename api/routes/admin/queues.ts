import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';

const Queues = Type.Object({
  queues: Type.Array(Type.Object({ name: Type.String(), counts: Type.Record(Type.String(), Type.Integer()) })),
});

export const adminQueueRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/admin/v1/queues',
    { schema: { tags: ['admin'], operationId: 'listQueues', summary: 'Background job queues by state', description: 'Each background queue (provisioning, deletion, liveness, usage, per-cluster agent jobs) with its job counts by state. Viewer role.', security: [{ adminJwt: [] }], response: { 200: Queues, ...problems('redis_unavailable') } } },
    async () => ({ queues: await deps.services.queues.counts() }),
  );
};
