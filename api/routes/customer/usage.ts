import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { UsagePage, UsageQuery } from '../../schemas/usage';
import { sendUsageCsv } from '../usage-csv';
import { tenantOf } from './tenant-of';

/** The tenant's metered usage and its price, per cluster and hour or day. */
export const customerUsageRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { usage } = deps.services;
  app.get(
    '/v1/usage',
    {
      schema: {
        tags: ['customer'],
        operationId: 'getUsage', summary: 'Usage per cluster and hour or day (bytes and records written, storage, partitions, agent-hours, metadata requests) and its price; format=csv exports the range', description: 'Metered usage from `from` to `to` per cluster and hour or day, with its price from the tier catalogue; `format=csv` answers the whole range as CSV instead (text/csv). Scope `usage:read`.',
        security: [{ apiKey: [] }],
        querystring: UsageQuery,
        response: { 200: UsagePage, ...problems('invalid_range', 'range_too_long', 'invalid_cursor') },
      },
      config: { scope: 'usage:read' },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req);
      const q = { from: req.query.from, to: req.query.to, granularity: req.query.granularity ?? 'day', clusterId: req.query.clusterId };
      if (req.query.format === 'csv') {
        return sendUsageCsv(reply, `usage-${q.granularity}-${q.from}-${q.to}`, usage.each((p) => usage.list(tenantId, p), q));
      }
      return usage.list(tenantId, { ...q, limit: req.query.limit ?? 50, cursor: req.query.cursor });
    },
  );
};
