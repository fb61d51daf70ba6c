import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { Id, problems } from '../../schemas/common';
import { AgentParams, Discovery, DiscoveryQuery, HeartbeatBody, HeartbeatResponse, RegisterBody, RegisterResponse } from '../../schemas/agents';
import { agentOf } from './agent-of';
import type { AppMetrics } from '../../plugins/metrics';

const ClusterParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });

export const agentFleetRoutes = (deps: AppDeps, metrics: AppMetrics): FastifyPluginAsyncTypebox => async (app) => {
  const fleet = deps.services.fleet;
  const security = [{ agentJwt: [] }];

  app.post(
    '/agent/v1/clusters/:clusterId/agents',
    {
      schema: {
        tags: ['agent'],
        operationId: 'registerAgent', summary: 'Register (idempotent on agentId)', description: 'Registers the agent (idempotent on agentId; re-registering after a restart updates it). Its region must be one of the cluster\'s and its zone in that region. Answers the heartbeat interval and discovery hints.',
        security,
        params: ClusterParams,
        body: RegisterBody,
        response: { 200: RegisterResponse, ...problems('cluster_deleting', 'invalid_region', 'invalid_zone', 'agent_limit_reached', 'agent_id_bound', 'redis_unavailable') },
      },
    },
    async (req) => {
      const a = agentOf(req);
      return fleet.register(req.ctx!, a.tenantId, a.clusterId, req.body);
    },
  );

  app.post(
    '/agent/v1/clusters/:clusterId/agents/:agentId/heartbeat',
    {
      // Thousands of agents beat every few seconds: log failures, not every beat.
      logLevel: 'warn',
      config: { disableMetrics: true, ownBudget: true },
      schema: {
        tags: ['agent'],
        operationId: 'heartbeatAgent', summary: 'Heartbeat with counters; the answer carries the next interval and directives', description: 'Reports the agent\'s counters; the answer carries the next interval and directives (config changed, drain, upgrade advice). Beats faster than the interval are refused with 429.',
        security,
        params: AgentParams,
        body: HeartbeatBody,
        response: { 200: HeartbeatResponse, ...problems('agent_not_registered', 'agent_id_bound', 'redis_unavailable') },
      },
    },
    async (req) => {
      const a = agentOf(req);
      try {
        const out = await fleet.heartbeat(a.tenantId, a.clusterId, req.params.agentId, req.body.stats, req.body.configVersion, a.id);
        metrics.agentHeartbeats.inc({ result: 'ok' });
        return out;
      } catch (e) {
        const status = (e as { status?: number }).status;
        metrics.agentHeartbeats.inc({ result: status === 429 ? 'rate_limited' : status === 503 ? 'unavailable' : 'refused' });
        if (status === 429) metrics.rateLimited.inc({ limit: 'agent-heartbeats' });
        throw e;
      }
    },
  );

  app.delete(
    '/agent/v1/clusters/:clusterId/agents/:agentId',
    {
      schema: { tags: ['agent'], operationId: 'deregisterAgent', summary: 'Deregister (on orderly shutdown; read-write agents only)', description: 'Removes the agent from discovery at once and releases its job leases. Read-write agents only.', security, params: AgentParams, response: { 204: Type.Null(), ...problems('agent_not_found', 'agent_id_bound') } },
      // Taking an agent out of discovery is a write: a read-only token must not do it to anyone.
      config: { agentWrite: true },
    },
    async (req, reply) => {
      const a = agentOf(req);
      await fleet.deregister(req.ctx!, a.tenantId, a.clusterId, req.params.agentId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/agent/v1/clusters/:clusterId/discovery',
    {
      schema: {
        tags: ['agent'],
        operationId: 'getDiscovery', summary: 'Live proxy agents, same zone first, for answering Kafka Metadata requests', description: 'The cluster\'s live proxy agents, those in `zone` first, for answering Kafka Metadata requests.',
        security,
        params: ClusterParams,
        querystring: DiscoveryQuery,
        response: { 200: Discovery, ...problems('redis_unavailable') },
      },
    },
    async (req) => {
      const a = agentOf(req);
      return fleet.discovery(a.tenantId, a.clusterId, req.query.zone);
    },
  );
};
