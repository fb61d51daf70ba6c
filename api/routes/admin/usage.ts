import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { AdminUsageQuery, UsagePage } from '../../schemas/usage';
import { sendUsageCsv } from '../usage-csv';

/** Usage across tenants (billing runs, capacity planning); narrowed by tenant and cluster. */
export const adminUsageRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { usage } = deps.services;
  app.get(
    '/admin/v1/usage',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getAdminUsage', summary: 'Usage and its price across tenants, per cluster and hour or day; format=csv exports the range', description: 'Metered usage and its price for every tenant (or one, with tenantId) per cluster and hour or day; `format=csv` answers the range as CSV. Viewer role.',
        security: [{ adminJwt: [] }],
        querystring: AdminUsageQuery,
        response: { 200: UsagePage, ...problems('invalid_range', 'range_too_long', 'invalid_cursor') },
      },
    },
    async (req, reply) => {
      const q = { from: req.query.from, to: req.query.to, granularity: req.query.granularity ?? 'day', clusterId: req.query.clusterId };
      const tenantId = req.query.tenantId;
      // One tenant: its own partition; everyone: the index, a partition per day (hours) or month (days).
      const list = tenantId ? (p: Parameters<typeof usage.list>[1]) => usage.list(tenantId, p) : usage.listAll;
      if (req.query.format === 'csv') return sendUsageCsv(reply, `usage-${tenantId ?? 'all'}-${q.granularity}-${q.from}-${q.to}`, usage.each(list, q));
      return list({ ...q, limit: req.query.limit ?? 50, cursor: req.query.cursor });
    },
  );
};
