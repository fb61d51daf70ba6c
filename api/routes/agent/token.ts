import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { bearerToken } from '../../plugins/auth';
import { problems } from '../../schemas/common';
import { TokenResponse } from '../../schemas/agents';

/** POST /agent/v1/token: an agent key (hm_ak_…) in, a short-lived agent JWT out. */
export const agentTokenRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.post(
    '/agent/v1/token',
    {
      schema: {
        tags: ['agent'],
        summary: 'Exchange an agent key for a short-lived agent token',
        description: 'Send `Authorization: Bearer hm_ak_…`. The token is valid for at most 15 minutes; exchange again before it expires.',
        response: { 200: TokenResponse, ...problems(401, 403) },
      },
    },
    async (req, reply) => {
      const out = await deps.services.agentKeys.exchange(bearerToken(req));
      return reply.header('cache-control', 'no-store').send(out);
    },
  );
};
