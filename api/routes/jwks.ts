import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../deps';
import { Jwks } from '../schemas/agents';
import { JWKS_CACHE_SECONDS } from '../../services/credentials/signing-keys';

/** Public keys that verify agent tokens: the current signing key, the next one and recently retired ones. */
export const jwksRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['ops'], operationId: 'getJwks', summary: 'JWKS for agent tokens', description: 'The public keys (current, next and recently retired) that verify agent tokens; cache for the time Cache-Control says. No auth.', response: { 200: Jwks } } },
    async (_req, reply) => reply.header('cache-control', `public, max-age=${JWKS_CACHE_SECONDS}`).send(await deps.services.signingKeys.jwks()),
  );
};
