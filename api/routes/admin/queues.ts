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
    { schema: { tags: ['admin'], summary: 'Background job queues by state', security: [{ adminJwt: [] }], response: { 200: Queues, ...problems(401, 403) } } },
    async () => ({ queues: await deps.services.queues.counts() }),
  );
};
