import type { FastifyInstance } from 'fastify';
import fastifyMetrics from 'fastify-metrics';
import client from 'prom-client';

export interface AppMetrics {
  auditWriteFailures: client.Counter;
  /** Heartbeats skip the per-route histogram (too hot for it); they are counted here. */
  agentHeartbeats: client.Counter<'result'>;
  /** 429 answers, by budget. */
  rateLimited: client.Counter<'limit'>;
  /** Rate-limit decisions made in this process because Redis was unavailable, by budget. */
  rateLimitDegraded: client.Counter<'limit'>;
}

/**
 * Prometheus metrics at GET /metrics (hidden from OpenAPI, outside every rate limit):
 * process metrics, per-route latency, and the counters the app increments.
 */
export async function registerMetrics(app: FastifyInstance, opts: { redisAvailable?: () => boolean } = {}): Promise<AppMetrics> {
  await app.register(fastifyMetrics, {
    endpoint: { url: '/metrics', method: 'GET', schema: { hide: true }, handler: undefined as never },
    clearRegisterOnInit: true,
    routeMetrics: { enabled: { histogram: true, summary: false }, registeredRoutesOnly: true, routeBlacklist: ['/metrics'] },
  });
  if (opts.redisAvailable) {
    const available = opts.redisAvailable;
    new client.Gauge({
      name: 'hm_redis_available',
      help: '1 while request-path Redis calls succeed, 0 while they fail (503 redis_unavailable, local rate limits)',
      collect() {
        this.set(available() ? 1 : 0);
      },
    });
  }
  return {
    rateLimited: new client.Counter({ name: 'hm_rate_limited_total', help: 'Requests refused with 429 rate_limited, by budget', labelNames: ['limit'] }),
    rateLimitDegraded: new client.Counter({
      name: 'hm_rate_limit_degraded_total',
      help: 'Rate-limit decisions counted in this process only, because Redis was unavailable, by budget',
      labelNames: ['limit'],
    }),
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

/** Agent-job long polls this process holds right now, and the blocking Redis connections they share. */
export function agentJobPollGauges(view: () => { waiting: number; connections: number }) {
  new client.Gauge({
    name: 'hm_agent_job_polls_waiting',
    help: 'Agent-job long polls waiting in this process',
    collect() {
      this.set(view().waiting);
    },
  });
  new client.Gauge({
    name: 'hm_agent_job_blocking_connections',
    help: 'Blocking Redis connections the waiting agent-job polls of this process share (one per cluster being polled)',
    collect() {
      this.set(view().connections);
    },
  });
}
