import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { Page, PageQuery, problems } from '../../schemas/common';
import { AuditEvent } from '../../schemas/audit';
import { tenantOf } from './tenant-of';

export const customerAuditRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/v1/audit-events',
    {
      schema: {
        tags: ['customer'],
        operationId: 'listAuditEvents', summary: 'The tenant\'s audit trail, newest first', description: 'Every mutation made on the tenant\'s resources (who, what, target, result, request id), newest first. Scope `audit:read`.',
        security: [{ apiKey: [] }],
        querystring: PageQuery,
        response: { 200: Page(AuditEvent), ...problems('invalid_cursor') },
      },
      config: { scope: 'audit:read' },
    },
    async (req) => deps.services.audit.listForTenant(tenantOf(req), req.query.limit ?? 20, req.query.cursor),
  );
};
