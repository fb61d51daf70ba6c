import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import {
  GroupParams,
  HeartbeatBody,
  HeartbeatResponse,
  JoinGroupBody,
  JoinGroupResponse,
  LeaveGroupBody,
  LeaveGroupResponse,
  StillWaiting,
  SyncGroupBody,
  SyncGroupResponse,
} from '../../schemas/consumer-groups';
import { abortOnClose, clusterOf } from './cluster-of';

/**
 * The classic Kafka group protocol, coordinated by the cluster's leader, so that any agent
 * can be the coordinator its clients see. Join and sync are long polls: answered when the
 * rebalance gets there, or with 202 "still waiting" at the server's cap
 * (HM_GROUP_MAX_WAIT_MS), upon which the agent sends the same request again.
 */
export const agentConsumerGroupRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata } = deps.services;
  const cluster = clusterOf(deps);
  const security = [{ agentJwt: [] }];
  const errors = problems(400, 401, 403, 404, 409, 503);
  const path = '/agent/v1/clusters/:clusterId/consumer-groups/:group';

  app.post(
    `${path}/join`,
    {
      logLevel: 'warn',
      schema: { tags: ['agent'], summary: 'Kafka JoinGroup (long poll)', security, params: GroupParams, body: JoinGroupBody, response: { 200: JoinGroupResponse, 202: StillWaiting, ...errors } },
      config: { agentWrite: true },
    },
    async (req, reply) => {
      const out = await metadata.joinGroup(await cluster(req), req.params.group, req.body, abortOnClose(reply));
      return 'waiting' in out ? reply.code(202).send(out) : out;
    },
  );

  app.post(
    `${path}/sync`,
    {
      logLevel: 'warn',
      schema: { tags: ['agent'], summary: 'Kafka SyncGroup: the leader sends the assignment, every member gets its own (long poll)', security, params: GroupParams, body: SyncGroupBody, response: { 200: SyncGroupResponse, 202: StillWaiting, ...errors } },
      config: { agentWrite: true },
    },
    async (req, reply) => {
      const out = await metadata.syncGroup(await cluster(req), req.params.group, req.body, abortOnClose(reply));
      return 'waiting' in out ? reply.code(202).send(out) : out;
    },
  );

  app.post(
    `${path}/heartbeat`,
    {
      logLevel: 'warn',
      schema: { tags: ['agent'], summary: 'Kafka Heartbeat', security, params: GroupParams, body: HeartbeatBody, response: { 200: HeartbeatResponse, ...errors } },
      config: { agentWrite: true },
    },
    async (req) => metadata.heartbeat(await cluster(req), req.params.group, req.body),
  );

  app.post(
    `${path}/leave`,
    {
      schema: { tags: ['agent'], summary: 'Kafka LeaveGroup (one or more members)', security, params: GroupParams, body: LeaveGroupBody, response: { 200: LeaveGroupResponse, ...errors } },
      config: { agentWrite: true },
    },
    async (req) => metadata.leaveGroup(await cluster(req), req.params.group, req.body),
  );
};
