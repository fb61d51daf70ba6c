import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { tenantView } from '../../presenters';
import { problems } from '../../schemas/common';
import { Tenant } from '../../schemas/tenants';
import { tenantOf } from './tenant-of';

export const tenantSelfRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/v1/tenant',
    {
      schema: { tags: ['customer'], summary: 'The caller\'s tenant', security: [{ apiKey: [] }], response: { 200: Tenant, ...problems(401, 403) } },
      config: { scope: 'tenant:read' },
    },
    async (req) => tenantView(await deps.services.tenants.get(tenantOf(req))),
  );
};
