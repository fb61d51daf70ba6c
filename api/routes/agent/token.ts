import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { bearerToken } from '../../plugins/auth';
import { problems } from '../../schemas/common';
import { TokenResponse } from '../../schemas/agents';
import { IdentityExchangeBody } from '../../schemas/agent-identities';
import { badRequest } from '../../../shared/errors';

/**
 * POST /agent/v1/token: a short-lived agent JWT for either an agent key (`Authorization:
 * Bearer hm_ak_…`) or a workload identity (a JSON body holding a signed STS request).
 */
export const agentTokenRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.post(
    '/agent/v1/token',
    {
      schema: {
        tags: ['agent'],
        operationId: 'exchangeAgentToken', summary: 'Exchange an agent key, or a signed STS GetCallerIdentity request, for a short-lived agent token',
        description:
          'Either send `Authorization: Bearer hm_ak_…` and no body, or no Authorization header and a JSON body with `clusterId` and a signed STS GetCallerIdentity request (see the README: workload identity). The token is valid for at most 15 minutes; exchange again before it expires.',
        body: Type.Union([IdentityExchangeBody, Type.Null()]),
        response: { 200: TokenResponse, ...problems('ambiguous_credentials', 'missing_credentials', 'malformed_credentials', 'invalid_credentials', 'credentials_revoked', 'identity_not_trusted', 'audience_missing', 'audience_mismatch', 'signature_expired', 'signature_not_yet_valid', 'signature_replayed', 'sts_rejected', 'invalid_identity_request', 'sts_endpoint_not_allowed', 'tenant_suspended', 'tenant_deleting', 'cluster_unavailable', 'rate_limited', 'store_unavailable', 'sts_unavailable', 'replay_check_unavailable', 'signing_key_unavailable') },
      },
    },
    async (req, reply) => {
      if (req.body && req.headers.authorization !== undefined) {
        throw badRequest('ambiguous_credentials', 'Send an agent key or a signed identity request, not both.');
      }
      const out = req.body ? await deps.services.workloadIdentity.exchange(req.body, req.id) : await deps.services.agentKeys.exchange(bearerToken(req));
      return reply.header('cache-control', 'no-store').send(out);
    },
  );
};
