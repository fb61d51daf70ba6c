import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { Page, PageQuery, problems } from '../../schemas/common';
import { AuditEvent } from '../../schemas/audit';

export const adminAuditRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/admin/v1/audit-events',
    {
      schema: { tags: ['admin'], summary: 'Every audit event, newest first', security: [{ adminJwt: [] }], querystring: PageQuery, response: { 200: Page(AuditEvent), ...problems(400, 401, 403) } },
    },
    async (req) => deps.services.audit.listAll(req.query.limit ?? 20, req.query.cursor),
  );
};
