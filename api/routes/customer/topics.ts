import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { IdempotencyHeaders, problems } from '../../schemas/common';
import { ClusterParams } from '../../schemas/clusters';
import { CreateTopicBody, TopicDescription, TopicList, TopicParams, TopicSummary, UpdateTopicBody } from '../../schemas/topics';
import { tenantOf } from './tenant-of';
import type { RoutePolicy } from '../../fastify-types';

/** Topics of a cluster: the sequencer holds them; these routes are the customer's door. */
export const topicRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata, clusterAccess } = deps.services;
  const security = [{ apiKey: [] }];
  // Customers see their changes at once: always read the cluster fresh (agents use the cache).
  const cluster = (tenantId: string, clusterId: string) => clusterAccess(tenantId, clusterId, true);
  const errors = problems(400, 401, 403, 404, 409, 422, 503);
  // A process that never leads clusters (the Lambda API) checks the key and scope, then hands
  // the request to the cluster's leader, which audits and applies it (and keeps the
  // Idempotency-Key): so here the policy keeps only the scope.
  const forwarder = deps.leaderForwarder;
  const policy = (p: RoutePolicy): RoutePolicy => (forwarder ? { scope: p.scope } : p);

  app.post(
    '/v1/clusters/:clusterId/topics',
    {
      schema: { tags: ['customer'], summary: 'Create a topic', security, params: ClusterParams, headers: IdempotencyHeaders, body: CreateTopicBody, response: { 201: TopicDescription, ...errors } },
      config: policy({ scope: 'topics:write', idempotent: true, audit: { action: 'topic.create', target: 'topic' } }),
    },
    async (req, reply) => {
      if (forwarder) return forwarder.forward(req, reply, tenantOf(req), req.params.clusterId);
      const t = await metadata.createTopic(await cluster(tenantOf(req), req.params.clusterId), req.body);
      req.auditTarget = { id: `${req.params.clusterId}/${t.name}` };
      return reply.code(201).send(t);
    },
  );

  app.get(
    '/v1/clusters/:clusterId/topics',
    {
      schema: { tags: ['customer'], summary: 'List topics', security, params: ClusterParams, response: { 200: TopicList, ...errors } },
      config: policy({ scope: 'topics:read' }),
    },
    async (req, reply) =>
      forwarder ? forwarder.forward(req, reply, tenantOf(req), req.params.clusterId) : { items: await metadata.listTopics(await cluster(tenantOf(req), req.params.clusterId)) },
  );

  app.get(
    '/v1/clusters/:clusterId/topics/:topic',
    {
      schema: { tags: ['customer'], summary: 'Describe a topic: per partition log start, high watermark and bytes', security, params: TopicParams, response: { 200: TopicDescription, ...errors } },
      config: policy({ scope: 'topics:read' }),
    },
    async (req, reply) =>
      forwarder ? forwarder.forward(req, reply, tenantOf(req), req.params.clusterId) : metadata.describeTopic(await cluster(tenantOf(req), req.params.clusterId), req.params.topic),
  );

  app.patch(
    '/v1/clusters/:clusterId/topics/:topic',
    {
      schema: { tags: ['customer'], summary: 'Add partitions and/or alter config', security, params: TopicParams, body: UpdateTopicBody, response: { 200: TopicDescription, ...errors } },
      config: policy({ scope: 'topics:write', audit: { action: 'topic.update', target: 'topic' } }),
    },
    async (req, reply) => {
      if (forwarder) return forwarder.forward(req, reply, tenantOf(req), req.params.clusterId);
      req.auditTarget = { id: `${req.params.clusterId}/${req.params.topic}` };
      return metadata.updateTopic(await cluster(tenantOf(req), req.params.clusterId), req.params.topic, req.body);
    },
  );

  app.delete(
    '/v1/clusters/:clusterId/topics/:topic',
    {
      schema: { tags: ['customer'], summary: 'Delete a topic (its files are marked for deletion)', security, params: TopicParams, response: { 200: TopicSummary, ...errors } },
      config: policy({ scope: 'topics:write', audit: { action: 'topic.delete', target: 'topic' } }),
    },
    async (req, reply) => {
      if (forwarder) return forwarder.forward(req, reply, tenantOf(req), req.params.clusterId);
      req.auditTarget = { id: `${req.params.clusterId}/${req.params.topic}` };
      return metadata.deleteTopic(await cluster(tenantOf(req), req.params.clusterId), req.params.topic);
    },
  );
};
