import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { badRequest } from '../../../shared/errors';
import type { AppDeps } from '../../deps';
import { ClusterParams } from '../../schemas/clusters';
import { PageQuery, problems, SEQUENCER_CODES } from '../../schemas/common';
import { GroupDescription, GroupList, GroupParams } from '../../schemas/consumer-groups';
import { tenantOf } from './tenant-of';

/** The customer's view of consumer groups: state, members, committed offsets and lag. */
export const consumerGroupRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata, clusterAccess } = deps.services;
  const security = [{ apiKey: [] }];
  const cluster = (tenantId: string, clusterId: string) => clusterAccess(tenantId, clusterId, true);
  // Cursors are positions in the tenant's own list (a group name): opaque, but nothing to sign.
  const decodeCursor = (cursor: string | undefined) => {
    if (cursor === undefined) return undefined;
    const name = Buffer.from(cursor, 'base64url').toString('utf8');
    if (name.length === 0 || Buffer.from(name).toString('base64url') !== cursor) throw badRequest('invalid_cursor', 'The cursor is malformed or does not belong to this list.');
    return name;
  };

  app.get(
    '/v1/clusters/:clusterId/consumer-groups',
    {
      schema: { tags: ['customer'], operationId: 'listConsumerGroups', summary: 'List consumer groups with their state and member count', description: 'The cluster\'s consumer groups with state and member count. Scope `topics:read`.', security, params: ClusterParams, querystring: PageQuery, response: { 200: GroupList, ...problems(...SEQUENCER_CODES, 'invalid_cursor') } },
      config: { scope: 'topics:read' },
    },
    async (req) => {
      const page = await metadata.listGroups(await cluster(tenantOf(req), req.params.clusterId), { limit: req.query.limit ?? 20, after: decodeCursor(req.query.cursor) });
      return { items: page.items, nextCursor: page.after === null ? null : Buffer.from(page.after).toString('base64url') };
    },
  );

  app.get(
    '/v1/clusters/:clusterId/consumer-groups/:group',
    {
      schema: {
        tags: ['customer'],
        operationId: 'getConsumerGroup', summary: 'A consumer group: state, members and their partitions, per partition the committed offset and lag', description: 'One consumer group: state, members and their partitions, and per partition the committed offset and lag. Scope `topics:read`.',
        security,
        params: GroupParams,
        response: { 200: GroupDescription, ...problems(...SEQUENCER_CODES, 'invalid_group_id', 'group_not_found') },
      },
      config: { scope: 'topics:read' },
    },
    async (req) => metadata.describeGroup(await cluster(tenantOf(req), req.params.clusterId), req.params.group),
  );
};
