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
      schema: { tags: ['customer'], operationId: 'getTenant', summary: 'The caller\'s tenant', description: 'The tenant the API key belongs to: its plan (tier), status and effective limits. Scope `tenant:read`.', security: [{ apiKey: [] }], response: { 200: Tenant, ...problems('tenant_not_found') } },
      config: { scope: 'tenant:read' },
    },
    async (req) => tenantView(await deps.services.tenants.get(tenantOf(req))),
  );
};
