import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { LeakedSecretBody, LeakReport, PepperStatus } from '../../schemas/secrets';

/** Credential hygiene for vendor staff: leaked-secret reports and the pepper rotation's progress. */
export const adminSecretRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const security = [{ adminJwt: [] }];

  app.post(
    '/admin/v1/leaked-secrets',
    {
      schema: {
        tags: ['admin'],
        summary: 'Report a leaked secret: revoked at once if it is a valid secret of ours',
        description: 'Anything that is not a valid Harbormaster secret, including a real key id with a wrong secret part, answers `recognised: false`.',
        security,
        body: LeakedSecretBody,
        response: { 200: LeakReport, ...problems(400, 401, 403) },
      },
      config: { adminRole: 'admin', audit: { action: 'secret.leak_reported', target: 'secret' } },
    },
    async (req) => {
      const out = await deps.services.leakedSecrets.report(req.body.secret);
      if (out.recognised) req.auditTarget = { id: out.id, tenantId: out.tenantId };
      return out;
    },
  );

  app.get(
    '/admin/v1/pepper-status',
    { schema: { tags: ['admin'], summary: 'How many live secrets are still hashed with a previous pepper', security, response: { 200: PepperStatus, ...problems(401, 403) } } },
    async () => deps.services.keyHygiene.pepperStatus(),
  );
};
