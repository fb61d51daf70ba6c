import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../deps';
import { Id, problems } from '../../schemas/common';
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
        summary: 'Control-plane endpoints per region, the preferred and the current leader region',
        security,
        params: ClusterParams,
        response: { 200: ControlPlane, ...problems(401, 403, 404, 409, 503) },
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
        summary: 'Report a listed replica of a file that cannot be read (the file becomes due for re-replication)',
        description: 'Idempotent: a repeated report answers the same and writes nothing. Read-only agents may report too: consumers are the ones that find a replica gone.',
        security,
        params: FileParams,
        body: ReplicaMissingBody,
        response: { 200: ReplicaMissingResponse, ...problems(400, 401, 403, 404, 409, 422, 503) },
      },
    },
    async (req) => {
      const a = agentOf(req);
      return metadata.reportReplicaMissing(await clusterAccess(a.tenantId, a.clusterId), req.params.fileId, req.body);
    },
  );
};
