import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { problems, SEQUENCER_CODES, GROUP_MEMBER_CODES } from '../../schemas/common';
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
  const path = '/agent/v1/clusters/:clusterId/consumer-groups/:group';

  app.post(
    `${path}/join`,
    {
      logLevel: 'warn',
      schema: { tags: ['agent'], operationId: 'joinGroup', summary: 'Kafka JoinGroup (long poll)', description: 'Kafka JoinGroup: joins (or rejoins) the member; waits for the rebalance to settle and answers 200 with the generation, or 202 when the wait ran out (send it again).', security, params: GroupParams, body: JoinGroupBody, response: { 200: JoinGroupResponse, 202: StillWaiting, ...problems(...SEQUENCER_CODES, ...GROUP_MEMBER_CODES) } },
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
      schema: { tags: ['agent'], operationId: 'syncGroup', summary: 'Kafka SyncGroup: the leader sends the assignment, every member gets its own (long poll)', description: 'Kafka SyncGroup: the leader sends every member\'s assignment; each member gets its own (200), or 202 when the wait ran out (send it again).', security, params: GroupParams, body: SyncGroupBody, response: { 200: SyncGroupResponse, 202: StillWaiting, ...problems(...SEQUENCER_CODES, ...GROUP_MEMBER_CODES) } },
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
      schema: { tags: ['agent'], operationId: 'heartbeatGroupMember', summary: 'Kafka Heartbeat', description: 'Kafka Heartbeat: keeps the member in the group; the Kafka error in the answer says when to rejoin.', security, params: GroupParams, body: HeartbeatBody, response: { 200: HeartbeatResponse, ...problems(...SEQUENCER_CODES, ...GROUP_MEMBER_CODES) } },
      config: { agentWrite: true },
    },
    async (req) => metadata.heartbeat(await cluster(req), req.params.group, req.body),
  );

  app.post(
    `${path}/leave`,
    {
      schema: { tags: ['agent'], operationId: 'leaveGroup', summary: 'Kafka LeaveGroup (one or more members)', description: 'Kafka LeaveGroup: removes the members at once (a rebalance follows).', security, params: GroupParams, body: LeaveGroupBody, response: { 200: LeaveGroupResponse, ...problems(...SEQUENCER_CODES, ...GROUP_MEMBER_CODES) } },
      config: { agentWrite: true },
    },
    async (req) => metadata.leaveGroup(await cluster(req), req.params.group, req.body),
  );
};
