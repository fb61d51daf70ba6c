import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../deps';
import { sendProblem } from '../plugins/problems';
import { problems } from '../schemas/common';

const Health = Type.Object({ status: Type.Literal('ok') });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) })),
});

const PROBE_TIMEOUT_MS = 2000;

/** Liveness and readiness; no auth, no rate limit. */
export const opsRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get('/healthz', { schema: { tags: ['ops'], operationId: 'getLiveness', summary: 'Liveness: the process is up', description: 'Answers 200 while the process runs; for the load balancer\'s liveness check. No auth.', response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        operationId: 'getReadiness', summary: 'Readiness: 200 while the store answers (status "degraded" when Redis does not), 503 otherwise', description: 'Probes the metadata store (required) and Redis (degraded when it fails). Route traffic to a node only while this answers 200. No auth.',
        response: { 200: Readiness, ...problems('not_ready') },
      },
    },
    async (req, reply) => {
      const checks: Record<string, { ok: boolean; error?: string }> = {};
      const probes = { ...deps.readiness, ...deps.degradedReadiness };
      await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          try {
            await Promise.race([probe(), new Promise((_, rej) => setTimeout(() => rej(new Error('timed out')), PROBE_TIMEOUT_MS))]);
            checks[name] = { ok: true };
          } catch (e) {
            checks[name] = { ok: false, error: (e as Error).message.slice(0, 200) };
          }
        }),
      );
      const failed = Object.keys(deps.readiness).filter((n) => !checks[n].ok);
      if (failed.length > 0) {
        return sendProblem(req, reply, { status: 503, code: 'not_ready', detail: `Not ready: ${failed.join(', ')} unreachable.`, checks });
      }
      const degraded = Object.values(checks).some((c) => !c.ok);
      return { status: degraded ? ('degraded' as const) : ('ready' as const), checks };
    },
  );
};
