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
        operationId: 'reportLeakedSecret', summary: 'Report a leaked secret: revoked at once if it is a valid secret of ours',
        description: 'Anything that is not a valid Harbormaster secret, including a real key id with a wrong secret part, answers `recognised: false`.',
        security,
        body: LeakedSecretBody,
        response: { 200: LeakReport, ...problems() },
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
    { schema: { tags: ['admin'], operationId: 'getPepperStatus', summary: 'How many live secrets are still hashed with a previous pepper', description: 'How many live API and agent keys are still hashed with a previous pepper (they are re-hashed on use); when 0 the previous pepper can be removed. Viewer role.', security, response: { 200: PepperStatus, ...problems() } } },
    async () => deps.services.keyHygiene.pepperStatus(),
  );
};
