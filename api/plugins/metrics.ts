import type { FastifyInstance } from 'fastify';
import fastifyMetrics from 'fastify-metrics';
import client from 'prom-client';

export interface AppMetrics {
  auditWriteFailures: client.Counter;
  /** Heartbeats skip the per-route histogram (too hot for it); they are counted here. */
  agentHeartbeats: client.Counter<'result'>;
}

/**
 * Prometheus metrics at GET /metrics (hidden from OpenAPI, outside every rate limit):
 * process metrics, per-route latency, and the counters the app increments.
 */
export async function registerMetrics(app: FastifyInstance): Promise<AppMetrics> {
  await app.register(fastifyMetrics, {
    endpoint: { url: '/metrics', method: 'GET', schema: { hide: true }, handler: undefined as never },
    clearRegisterOnInit: true,
    routeMetrics: { enabled: { histogram: true, summary: false }, registeredRoutesOnly: true, routeBlacklist: ['/metrics'] },
  });
  return {
    auditWriteFailures: new client.Counter({ name: 'hm_audit_write_failures_total', help: 'Audit events that could not be written' }),
    agentHeartbeats: new client.Counter({ name: 'hm_agent_heartbeats_total', help: 'Agent heartbeats by result', labelNames: ['result'] }),
  };
}

/** How old this process's view of the revocation log is; agent requests fail past the bound. */
export function revocationStalenessGauge(staleness: () => number) {
  return new client.Gauge({
    name: 'hm_revocation_staleness_seconds',
    help: 'Seconds since this process last read the revocation log (agent requests get 503 past HM_REVOCATION_MAX_STALENESS_MS)',
    collect() {
      const ms = staleness();
      this.set(Number.isFinite(ms) ? ms / 1000 : -1);
    },
  });
}
