import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdempotencyCaller, IdempotencyService } from '../../services/idempotency/service';
import { tenantPk } from '../../shared/keys';

/** The caller's own partition and credential: a record is never shared beyond them. */
function callerOf(req: FastifyRequest): IdempotencyCaller | undefined {
  const a = req.ctx?.actor;
  if (!a) return undefined;
  if ('tenantId' in a && a.tenantId) return { partition: tenantPk(a.tenantId), credentialId: a.id };
  return { partition: `ADMIN#${a.id}`, credentialId: a.id };
}

/**
 * For routes with `config.idempotent`: a request carrying Idempotency-Key is run once; the
 * first successful answer is stored (sealed) before it is sent, and replayed to the same
 * credential for repeats. Registered after authentication and the route's own authorisation
 * (`config.authorize`), so a replay is only ever given to a caller allowed to make the request.
 */
export function registerIdempotency(scope: FastifyInstance, idempotency: IdempotencyService) {
  scope.addHook('preHandler', async (req, reply) => {
    if (!req.routeOptions.config.idempotent) return;
    const key = req.headers['idempotency-key'];
    const caller = callerOf(req);
    if (typeof key !== 'string' || !caller) return;
    const route = `${req.method} ${req.routeOptions.url}`;
    const outcome = await idempotency.begin(caller, route, key, { params: req.params, body: req.body });
    if (outcome.kind === 'replay') {
      // Audited as a replay of the first request's target (see plugins/audit.ts).
      req.replayed = true;
      req.auditTarget = outcome.meta.auditTarget;
      if (outcome.meta.location) reply.header('location', outcome.meta.location);
      return reply.code(outcome.status).header('idempotency-replayed', 'true').type('application/json; charset=utf-8').send(outcome.body);
    }
    req.idempotency = outcome;
  });

  scope.addHook('onSend', async (req, reply, payload) => {
    const pending = req.idempotency;
    if (!pending) return payload;
    req.idempotency = undefined;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      const location = reply.getHeader('location');
      await pending.finish(reply.statusCode, payload, { auditTarget: req.auditTarget, location: typeof location === 'string' ? location : undefined });
    } else {
      await pending.abandon();
    }
    return payload;
  });
}
