import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { Id, problems, SEQUENCER_CODES } from '../../schemas/common';
import { ControlPlane, FileParams, ReplicaMissingBody, ReplicaMissingResponse } from '../../schemas/regions';
import { agentOf } from './agent-of';

const ClusterParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });

/**
 * Multi-region, for agents: where each region's control plane is and which region leads (any
 * node answers, whoever leads), and reports of replicas an agent could not read.
 */
export const agentRegionRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { metadata, clusterAccess, controlPlane } = deps.services;
  const security = [{ agentJwt: [] }];

  app.get(
    '/agent/v1/clusters/:clusterId/control-plane',
    {
      logLevel: 'warn',
      schema: {
        tags: ['agent'],
        operationId: 'getControlPlane', summary: 'Control-plane endpoints per region, the preferred and the current leader region', description: 'The control-plane endpoint of each region, the cluster\'s preferred leader region and its current one: where agents fail over to.',
        security,
        params: ClusterParams,
        response: { 200: ControlPlane, ...problems('cluster_provisioning', 'cluster_deleting') },
      },
    },
    async (req) => {
      const a = agentOf(req);
      return controlPlane(await clusterAccess(a.tenantId, a.clusterId));
    },
  );

  app.post(
    '/agent/v1/clusters/:clusterId/files/:fileId/replica-missing',
    {
      schema: {
        tags: ['agent'],
        operationId: 'reportReplicaMissing', summary: 'Report a listed replica of a file that cannot be read (the file becomes due for re-replication)',
        description: 'Idempotent: a repeated report answers the same and writes nothing. Read-only agents may report too: consumers are the ones that find a replica gone.',
        security,
        params: FileParams,
        body: ReplicaMissingBody,
        response: { 200: ReplicaMissingResponse, ...problems(...SEQUENCER_CODES, 'file_not_found', 'replica_not_listed', 'unknown_replica_region', 'unknown_replica_bucket') },
      },
    },
    async (req) => {
      const a = agentOf(req);
      return metadata.reportReplicaMissing(await clusterAccess(a.tenantId, a.clusterId), req.params.fileId, req.body);
    },
  );
};
