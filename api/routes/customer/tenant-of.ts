import type { FastifyRequest } from 'fastify';

/** The tenant of the authenticated customer; customer routes never take it from the path. */
export function tenantOf(req: FastifyRequest): string {
  const actor = req.ctx?.actor;
  if (!actor || actor.kind !== 'api-key') throw new Error('customer route reached without an API key context');
  return actor.tenantId;
}
