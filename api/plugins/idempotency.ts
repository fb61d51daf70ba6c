import type { FastifyInstance } from 'fastify';
import type { IdempotencyService } from '../../services/idempotency/service';
import { tenantPk } from '../../shared/keys';

/** The partition an idempotency record belongs to: the caller's own. */
function partitionOf(req: { ctx?: { actor: { kind: string; id: string; tenantId?: string } } }): string | undefined {
  const a = req.ctx?.actor;
  if (!a) return undefined;
  if ('tenantId' in a && a.tenantId) return tenantPk(a.tenantId);
  return `ADMIN#${a.id}`;
}

/**
 * For routes with `config.idempotent`: a request carrying Idempotency-Key is run once; the
 * first successful answer is stored before it is sent, and replayed for repeats.
 */
export function registerIdempotency(scope: FastifyInstance, idempotency: IdempotencyService) {
  scope.addHook('preHandler', async (req, reply) => {
    if (!req.routeOptions.config.idempotent) return;
    const key = req.headers['idempotency-key'];
    const partition = partitionOf(req);
    if (typeof key !== 'string' || !partition) return;
    const route = `${req.method} ${req.routeOptions.url}`;
    const outcome = await idempotency.begin(partition, route, key, { params: req.params, body: req.body });
    if (outcome.kind === 'replay') {
      req.ctx = undefined; // a replay is not a new mutation: no audit event
      return reply.code(outcome.status).header('idempotency-replayed', 'true').type('application/json; charset=utf-8').send(outcome.body);
    }
    req.idempotency = outcome;
  });

  scope.addHook('onSend', async (req, reply, payload) => {
    const pending = req.idempotency;
    if (!pending) return payload;
    req.idempotency = undefined;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await pending.finish(reply.statusCode, payload);
    } else {
      await pending.abandon();
    }
    return payload;
  });
}
