import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';

/** OpenAPI 3 document at /docs/json and the UI at /docs; every route but ops internals. */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Harbormaster API',
        version: '1.0.0',
        description:
          'Control plane of a zero-trust BYOC Kafka-compatible streaming service. Customer routes (`/v1`) take an API key, ' +
          'admin routes (`/admin/v1`) an admin JWT, agent routes (`/agent/v1`) an agent JWT. Errors are application/problem+json with a stable `code`.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'Customer API key: hm_sk_…' },
          adminJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin JWT (aud=admin)' },
          agentJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Agent JWT from POST /agent/v1/token' },
        },
      },
      tags: [
        { name: 'customer', description: 'Customer API (API key)' },
        { name: 'admin', description: 'Vendor staff (admin JWT)' },
        { name: 'agent', description: 'BYOC agents (agent JWT)' },
        { name: 'ops', description: 'Health and discovery' },
      ],
    },
  });
  registerDocsUi(app);
}

/**
 * The docs UI (/docs) and the document (/docs/json, /docs/yaml). The UI's plugin reads its
 * files and loads a YAML library when registered, a large part of a Lambda cold start that no
 * API call needs: so it lives in a Fastify instance of its own, built on the first request to
 * /docs, fed the document this app generates, and reached through inject.
 */
function registerDocsUi(app: FastifyInstance) {
  let ui: Promise<FastifyInstance> | undefined;
  const build = async () => {
    const [{ default: Fastify }, { default: staticSwagger }, { default: swaggerUi }] = await Promise.all([
      import('fastify'),
      import('@fastify/swagger'),
      import('@fastify/swagger-ui'),
    ]);
    const inner = Fastify();
    await inner.register(staticSwagger, { mode: 'static', specification: { document: app.swagger() as never } });
    await inner.register(swaggerUi, { routePrefix: '/docs' });
    await inner.ready();
    return inner;
  };
  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    ui ??= build().catch((e) => {
      ui = undefined;
      throw e;
    });
    const res = await (await ui).inject({ method: 'GET', url: req.url, headers: { accept: req.headers.accept ?? '*/*' } });
    for (const h of ['content-type', 'cache-control', 'etag', 'last-modified', 'location', 'content-security-policy']) {
      const v = res.headers[h];
      if (v !== undefined) reply.header(h, v);
    }
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, serve);
  app.get('/docs/*', { schema: { hide: true } }, serve);
}
