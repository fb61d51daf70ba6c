import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { Page, PageQuery, problems } from '../../schemas/common';
import { AuditEvent } from '../../schemas/audit';

export const adminAuditRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/admin/v1/audit-events',
    {
      schema: { tags: ['admin'], operationId: 'listAllAuditEvents', summary: 'Every audit event, newest first', description: 'Every audit event of every tenant and of staff, newest first. Viewer role.', security: [{ adminJwt: [] }], querystring: PageQuery, response: { 200: Page(AuditEvent), ...problems('invalid_cursor') } },
    },
    async (req) => deps.services.audit.listAll(req.query.limit ?? 20, req.query.cursor),
  );
};
