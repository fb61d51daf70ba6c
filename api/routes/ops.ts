import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../deps';
import { sendProblem } from '../plugins/problems';

const Health = Type.Object({ status: Type.Literal('ok') });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) })),
});

const PROBE_TIMEOUT_MS = 2000;

/** Liveness and readiness; no auth, no rate limit. */
export const opsRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness: the process is up', response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    { schema: { tags: ['ops'], summary: 'Readiness: the store and Redis answer', response: { 200: Readiness } } },
    async (req, reply) => {
      const checks: Record<string, { ok: boolean; error?: string }> = {};
      await Promise.all(
        Object.entries(deps.readiness).map(async ([name, probe]) => {
          try {
            await Promise.race([probe(), new Promise((_, rej) => setTimeout(() => rej(new Error('timed out')), PROBE_TIMEOUT_MS))]);
            checks[name] = { ok: true };
          } catch (e) {
            checks[name] = { ok: false, error: (e as Error).message.slice(0, 200) };
          }
        }),
      );
      const failed = Object.entries(checks).filter(([, c]) => !c.ok).map(([n]) => n);
      if (failed.length > 0) {
        return sendProblem(req, reply, { status: 503, code: 'not_ready', detail: `Not ready: ${failed.join(', ')} unreachable.`, checks });
      }
      return { status: 'ready' as const, checks };
    },
  );
};
