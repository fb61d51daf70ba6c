import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { IdempotencyHeaders, problems, SEQUENCER_CODES, FORWARDED_CODES } from '../../schemas/common';
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
  // A process that never leads clusters (the Lambda API) checks the key and scope, then hands
  // the request to the cluster's leader, which audits and applies it (and keeps the
  // Idempotency-Key): so here the policy keeps only the scope.
  const forwarder = deps.leaderForwarder;
  const policy = (p: RoutePolicy): RoutePolicy => (forwarder ? { scope: p.scope } : p);

  app.post(
    '/v1/clusters/:clusterId/topics',
    {
      schema: { tags: ['customer'], operationId: 'createTopic', summary: 'Create a topic', description: 'Creates a topic with `partitions` partitions and optional config (retention.ms, retention.bytes, cleanup.policy). Applied by the cluster\'s metadata leader; answers once durable. Scope `topics:write`; accepts Idempotency-Key.', security, params: ClusterParams, headers: IdempotencyHeaders, body: CreateTopicBody, response: { 201: TopicDescription, ...problems(...SEQUENCER_CODES, ...FORWARDED_CODES, 'invalid_topic_name', 'invalid_partitions', 'invalid_config', 'unknown_config', 'unsupported_cleanup_policy', 'retention_exceeds_tier', 'topic_exists', 'topic_name_collision', 'partition_limit_exceeded', 'commit_too_large') } },
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
      schema: { tags: ['customer'], operationId: 'listTopics', summary: 'List topics', description: 'The cluster\'s topics with their partition counts and config. Scope `topics:read`.', security, params: ClusterParams, response: { 200: TopicList, ...problems(...SEQUENCER_CODES, ...FORWARDED_CODES) } },
      config: policy({ scope: 'topics:read' }),
    },
    async (req, reply) =>
      forwarder ? forwarder.forward(req, reply, tenantOf(req), req.params.clusterId) : { items: await metadata.listTopics(await cluster(tenantOf(req), req.params.clusterId)) },
  );

  app.get(
    '/v1/clusters/:clusterId/topics/:topic',
    {
      schema: { tags: ['customer'], operationId: 'getTopic', summary: 'Describe a topic: per partition log start, high watermark and bytes', description: 'One topic with, per partition, its log start offset, high watermark and bytes. Scope `topics:read`.', security, params: TopicParams, response: { 200: TopicDescription, ...problems(...SEQUENCER_CODES, ...FORWARDED_CODES, 'unknown_topic') } },
      config: policy({ scope: 'topics:read' }),
    },
    async (req, reply) =>
      forwarder ? forwarder.forward(req, reply, tenantOf(req), req.params.clusterId) : metadata.describeTopic(await cluster(tenantOf(req), req.params.clusterId), req.params.topic),
  );

  app.patch(
    '/v1/clusters/:clusterId/topics/:topic',
    {
      schema: { tags: ['customer'], operationId: 'updateTopic', summary: 'Add partitions and/or alter config', description: 'Adds partitions (the count only grows) and/or changes the topic\'s config. Scope `topics:write`.', security, params: TopicParams, body: UpdateTopicBody, response: { 200: TopicDescription, ...problems(...SEQUENCER_CODES, ...FORWARDED_CODES, 'unknown_topic', 'partition_count_not_increased', 'partition_limit_exceeded', 'invalid_partitions', 'invalid_config', 'unknown_config', 'unsupported_cleanup_policy', 'retention_exceeds_tier') } },
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
      schema: { tags: ['customer'], operationId: 'deleteTopic', summary: 'Delete a topic (its files are marked for deletion)', description: 'Deletes the topic; its files are marked for deletion and removed by agents after a grace period. Scope `topics:write`.', security, params: TopicParams, response: { 200: TopicSummary, ...problems(...SEQUENCER_CODES, ...FORWARDED_CODES, 'unknown_topic') } },
      config: policy({ scope: 'topics:write', audit: { action: 'topic.delete', target: 'topic' } }),
    },
    async (req, reply) => {
      if (forwarder) return forwarder.forward(req, reply, tenantOf(req), req.params.clusterId);
      req.auditTarget = { id: `${req.params.clusterId}/${req.params.topic}` };
      return metadata.deleteTopic(await cluster(tenantOf(req), req.params.clusterId), req.params.topic);
    },
  );
};
