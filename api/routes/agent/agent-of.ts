import type { FastifyRequest } from 'fastify';

/** The authenticated agent's tenant and cluster; agent routes never trust the path alone. */
export function agentOf(req: FastifyRequest) {
  const actor = req.ctx?.actor;
  if (!actor || actor.kind !== 'agent') throw new Error('agent route reached without an agent context');
  return actor;
}
