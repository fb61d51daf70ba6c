import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../deps';
import { agentOf } from './agent-of';

/** The calling agent's cluster as the metadata service needs it (from the token, checked against the path). */
export const clusterOf = (deps: AppDeps) => (req: FastifyRequest) => {
  const a = agentOf(req);
  return deps.services.clusterAccess(a.tenantId, a.clusterId);
};

/** Aborts when the client goes away before its (long-polling) answer was sent. */
export function abortOnClose(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
