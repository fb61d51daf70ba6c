import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { tenantScope } from '../../shared/tenant-scope';

/**
 * preValidation hook for customer and agent routes: once authentication has named the
 * caller's tenant, the rest of the request (validation, handler, audit, idempotency record)
 * acts for that tenant, so every store request it makes is fenced to the tenant's items (and,
 * with a token vending machine, signed with the tenant's own credentials). It runs after the
 * body is parsed: parsing happens in the socket's context, which would lose the scope.
 */
export function enterTenantScope(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  const actor = req.ctx?.actor;
  if (actor && 'tenantId' in actor) tenantScope.run(actor.tenantId, done);
  else done();
}
