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
        summary: 'Register (idempotent on agentId)',
        security,
        params: ClusterParams,
        body: RegisterBody,
        response: { 200: RegisterResponse, ...problems(400, 401, 403, 404, 409, 422, 429, 503) },
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
        summary: 'Heartbeat with counters; the answer carries the next interval and directives',
        security,
        params: AgentParams,
        body: HeartbeatBody,
        response: { 200: HeartbeatResponse, ...problems(400, 401, 403, 404, 429, 503) },
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
      schema: { tags: ['agent'], summary: 'Deregister (on orderly shutdown; read-write agents only)', security, params: AgentParams, response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } },
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
        summary: 'Live proxy agents, same zone first, for answering Kafka Metadata requests',
        security,
        params: ClusterParams,
        querystring: DiscoveryQuery,
        response: { 200: Discovery, ...problems(400, 401, 403, 404, 429, 503) },
      },
    },
    async (req) => {
      const a = agentOf(req);
      return fleet.discovery(a.tenantId, a.clusterId, req.query.zone);
    },
  );
};
