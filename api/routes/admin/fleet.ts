import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { FleetOverview } from '../../schemas/agents';

const Rotated = Type.Object({ kid: Type.String(), previousKid: Type.Union([Type.String(), Type.Null()]) });

export const adminFleetRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const security = [{ adminJwt: [] }];
  app.get(
    '/admin/v1/fleet',
    { schema: { tags: ['admin'], summary: 'Agents by cluster, version, region and state', security, response: { 200: FleetOverview, ...problems(401, 403) } } },
    async () => deps.services.fleetOverview(),
  );

  app.post(
    '/admin/v1/signing-keys/rotate',
    {
      schema: { tags: ['admin'], summary: 'Rotate the agent-token signing key now', security, response: { 200: Rotated, ...problems(401, 403) } },
      config: { audit: { action: 'signing_key.rotate', target: 'signing_key' } },
    },
    async (req) => {
      const out = await deps.services.signingKeys.rotate();
      req.auditTarget = { id: out.kid };
      return out;
    },
  );
};
