import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../deps';
import { Jwks } from '../schemas/agents';

/** Public keys that verify agent tokens: the current signing key and recently rotated ones. */
export const jwksRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['ops'], summary: 'JWKS for agent tokens', response: { 200: Jwks } } },
    async (_req, reply) => reply.header('cache-control', 'public, max-age=60').send(await deps.services.signingKeys.jwks()),
  );
};
