import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditService } from '../../services/audit/service';
import type { Counter } from 'prom-client';

/**
 * Records an audit event for every authenticated request to a route with `config.audit`,
 * success or failure, before the answer leaves (so a 2xx implies a durable audit entry).
 * An idempotent replay is recorded too, marked `replay: true`, with the first request's target.
 */
export function registerAudit(app: FastifyInstance, audit: AuditService, failures?: Counter) {
  app.addHook('onSend', (req, reply, payload, done) => {
    // Most requests (reads, heartbeats) are not audited: leave without a promise.
    if (!req.routeOptions.config?.audit || !req.ctx) return done(null, payload);
    record(req, reply, payload).then(() => done(null, payload), (err) => done(err));
  });

  async function record(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const spec = req.routeOptions.config.audit!;
    const ctx = req.ctx!;
    const params = (req.params ?? {}) as Record<string, string>;
    const tenantId = req.auditTarget?.tenantId ?? ('tenantId' in ctx.actor ? ctx.actor.tenantId : (params.tenantId ?? null));
    const ok = reply.statusCode < 400;
    let errorCode: string | undefined;
    if (!ok && typeof payload === 'string') {
      try {
        errorCode = (JSON.parse(payload) as { code?: string }).code;
      } catch {
        errorCode = undefined;
      }
    }
    try {
      await audit.record(ctx, {
        action: spec.action,
        tenantId,
        target: { type: spec.target, id: req.auditTarget?.id ?? (spec.idParam ? params[spec.idParam] : undefined) ?? null },
        result: ok ? 'success' : 'failure',
        errorCode,
        status: reply.statusCode,
        ...(req.replayed ? { replay: true } : {}),
      });
    } catch (err) {
      // The mutation itself is durable; losing its audit line must not turn it into an error.
      failures?.inc();
      req.log.error({ err, action: spec.action }, 'audit write failed');
    }
  }
}
