import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { forbidden, isAppError, unauthorized } from '../../shared/errors';
import type { AdminVerifier } from '../../services/credentials/admin-tokens';
import { sendProblem } from './problems';

export const QUEUE_BOARD_PATH = '/admin/queues/ui';
const COOKIE = 'hm_admin';
/** How often the list of queues is read again, so that new per-cluster queues show up. */
const REFRESH_MS = 5000;

/**
 * bull-board at /admin/queues/ui: every queue under the prefix, for staff with the `admin`
 * role. A browser cannot send a bearer header on navigation, so /admin/queues/ui/login takes
 * the admin token once (a form post, never the URL, so it stays out of logs and history) and
 * keeps it in an HttpOnly, SameSite=Strict cookie scoped to this path; API clients may send
 * the bearer header instead. Every request is checked again, role included.
 */
export async function registerQueueBoard(app: FastifyInstance, deps: { verifier: AdminVerifier; queues: () => Promise<Queue[]>; secureCookie: boolean }) {
  await app.register(async (login) => {
    login.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    login.get(`${QUEUE_BOARD_PATH}/login`, { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(loginPage()));
    login.post(`${QUEUE_BOARD_PATH}/login`, { schema: { hide: true } }, async (req, reply) => {
      const token = String((req.body as { token?: unknown } | undefined)?.token ?? '').trim();
      try {
        await checkAdmin(token);
        // The cookie lives as long as the (verified) token does, at most 12 hours.
        const exp = Number((JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp?: number }).exp ?? 0);
        const maxAge = Math.max(60, Math.min(12 * 3600, Math.floor(exp - Date.now() / 1000)));
        reply.header('set-cookie', `${COOKIE}=${token}; Path=${QUEUE_BOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${deps.secureCookie ? '; Secure' : ''}`);
        return reply.redirect(`${QUEUE_BOARD_PATH}/`, 303);
      } catch (e) {
        if (!isAppError(e)) throw e;
        return reply.code(e.status).type('text/html; charset=utf-8').send(loginPage(e.detail));
      }
    });
  });

  async function checkAdmin(token: string) {
    if (!token) throw unauthorized('missing_credentials', 'Paste an admin token (npm run -s admin-token).');
    const admin = await deps.verifier.verify(token);
    if (!admin.roles.includes('admin')) throw forbidden('insufficient_role', 'The queue console needs the "admin" role.');
  }

  function tokenOf(req: FastifyRequest): string {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return header.slice(7);
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === COOKIE) return v.join('=');
    }
    return '';
  }

  const board = lazyBoard(deps.queues);
  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      await checkAdmin(tokenOf(req));
    } catch (e) {
      if (!isAppError(e)) throw e;
      // A person in a browser goes to the login form; programs get the problem.
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) return reply.redirect(`${QUEUE_BOARD_PATH}/login`, 303);
      return sendProblem(req, reply, { status: e.status, code: e.code, detail: e.detail });
    }
    const res = await (await board()).inject({
      method: req.method as 'GET',
      url: req.url,
      headers: { accept: req.headers.accept ?? '*/*', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      payload: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    for (const h of ['content-type', 'cache-control', 'etag', 'last-modified', 'location']) {
      const v = res.headers[h];
      if (v !== undefined) reply.header(h, v);
    }
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: QUEUE_BOARD_PATH, schema: { hide: true }, handler: serve });
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: `${QUEUE_BOARD_PATH}/*`, schema: { hide: true }, handler: serve });
}

/**
 * bull-board in a Fastify instance of its own, built on the first request to the console and
 * reached through inject: loading it (and the BullMQ it requires) costs more than a Lambda's
 * whole first answer, and most processes never serve the console.
 */
function lazyBoard(queues: () => Promise<Queue[]>) {
  let built: Promise<FastifyInstance> | undefined;
  let shown = '';
  let checkedAt = 0;
  let replace: ((adapters: unknown[]) => void) | undefined;
  let adapt: ((q: Queue) => unknown) | undefined;
  async function build(): Promise<FastifyInstance> {
    const [{ default: Fastify }, api, adapter, fastifyAdapter] = await Promise.all([
      import('fastify'),
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/fastify'),
    ]);
    // CommonJS packages loaded from an ES module: the names may only be on `default`.
    const named = <T>(mod: T): T => ((mod as { default?: T }).default && typeof mod === 'object' ? { ...(mod as { default: T }).default, ...mod } : mod);
    const { createBullBoard } = named(api);
    const { BullMQAdapter } = named(adapter);
    const { FastifyAdapter } = named(fastifyAdapter);
    const inner = Fastify();
    const server = new FastifyAdapter();
    server.setBasePath(QUEUE_BOARD_PATH);
    const bull = createBullBoard({ queues: [], serverAdapter: server, options: { uiConfig: { boardTitle: 'Harbormaster' } } });
    replace = (adapters) => bull.replaceQueues(adapters as Parameters<typeof bull.replaceQueues>[0]);
    adapt = (q) => new BullMQAdapter(q);
    await inner.register(server.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
    await inner.ready();
    return inner;
  }
  return async () => {
    built ??= build().catch((e) => {
      built = undefined;
      throw e;
    });
    const inner = await built;
    // New queues (per-cluster ones) show up within REFRESH_MS.
    if (Date.now() - checkedAt >= REFRESH_MS) {
      checkedAt = Date.now();
      const list = await queues();
      const names = list.map((q) => q.name).join(',');
      if (names !== shown) {
        replace!(list.map((q) => adapt!(q)));
        shown = names;
      }
    }
    return inner;
  };
}

function loginPage(error?: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Harbormaster queues: sign in</title>
<style>body{font:15px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}textarea{width:100%;height:7rem;font:12px monospace}button{margin-top:.5rem;padding:.4rem 1rem}.err{color:#b00020}</style></head>
<body><h1>Queue console</h1><p>Paste an admin token with the <code>admin</code> role (locally: <code>npm run -s admin-token</code>).</p>
${error ? `<p class="err">${escape(error)}</p>` : ''}<form method="post" action="${QUEUE_BOARD_PATH}/login"><textarea name="token" autofocus required></textarea><br><button type="submit">Open the queues</button></form></body></html>`;
}
