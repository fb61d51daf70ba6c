import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { FleetOverview } from '../../schemas/agents';

const Rotated = Type.Object(
  {
    kid: Type.String({ description: 'The key being rotated to (pending) or the key that signs now (active).' }),
    previousKid: Type.Union([Type.String(), Type.Null()], { description: 'The key it replaces; it keeps verifying for one token lifetime after it stops signing.' }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('active')]),
    activatesAt: Type.String({ format: 'date-time', description: 'When `kid` starts (pending) or started (active) signing.' }),
  },
  { examples: [{ kid: 'sk-4Vb8Qn2LmT7xKp1Z', previousKid: 'sk-9Hc3Wr6YdE0sJf5A', status: 'pending', activatesAt: '2026-06-01T12:02:00.000Z' }] },
);

export const adminFleetRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const security = [{ adminJwt: [] }];
  app.get(
    '/admin/v1/fleet',
    { schema: { tags: ['admin'], operationId: 'getFleet', summary: 'Agents by cluster, version, region and state', description: 'The agent fleet summed by cluster, version, region and state (live, suspect, dead). Viewer role.', security, response: { 200: FleetOverview, ...problems('redis_unavailable') } } },
    async () => deps.services.fleetOverview(),
  );

  app.post(
    '/admin/v1/signing-keys/rotate',
    {
      schema: {
        tags: ['admin'],
        operationId: 'rotateSigningKey', summary: 'Rotate the agent-token signing key',
        description:
          'One step of a rotation: publishes a new key (status pending: in the JWKS at once, signing from activatesAt, two minutes later), or, when one is pending and due, makes it sign. Tokens signed by the previous key keep working until they expire.',
        security,
        response: { 200: Rotated, ...problems() },
      },
      config: { audit: { action: 'signing_key.rotate', target: 'signing_key' } },
    },
    async (req) => {
      const out = await deps.services.signingKeys.rotate();
      req.auditTarget = { id: out.kid };
      return out;
    },
  );
};
