import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { SwaggerOptions } from '@fastify/swagger';

/**
 * OpenAPI 3 document at /docs/json and the UI at /docs; every route but ops internals.
 *
 * Nothing of it is loaded until someone asks: the app only notes each route as it is added;
 * the first request to /docs replays those routes (their schemas, no handlers) into a Fastify
 * instance of its own with @fastify/swagger, which writes the document, and serves the UI from
 * there. Swagger, its YAML library and the UI's files are a large part of a Lambda cold start
 * that no API call needs.
 */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string) {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  let document: Promise<unknown> | undefined;
  const build = async () => {
    const [{ default: Fastify }, { default: swagger }] = await Promise.all([import('fastify'), import('@fastify/swagger')]);
    const inner = Fastify({ exposeHeadRoutes: false });
    // Only the document is wanted: no validator or serializer is compiled.
    inner.setValidatorCompiler(() => () => true);
    inner.setSerializerCompiler(() => (data) => JSON.stringify(data));
    await inner.register(swagger, openApiOptions(publicUrl));
    for (const schema of Object.values(app.getSchemas())) inner.addSchema(schema as { $id: string });
    await inner.register(async (replay) => {
      for (const r of routes) {
        const methods = [r.method].flat().filter((m) => m !== 'HEAD');
        if (methods.length > 0) replay.route({ method: methods, url: r.url, schema: r.schema, handler: async () => null });
      }
    });
    await inner.ready();
    return inner.swagger();
  };
  registerDocsUi(app, () => {
    document ??= build().catch((e) => {
      document = undefined;
      throw e;
    });
    return document;
  });
}

function openApiOptions(publicUrl: string): SwaggerOptions {
  return {
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
  };
}

/**
 * The docs UI (/docs) and the document (/docs/json, /docs/yaml), from a Fastify instance of
 * their own built on the first request and reached through inject.
 */
function registerDocsUi(app: FastifyInstance, document: () => Promise<unknown>) {
  let ui: Promise<FastifyInstance> | undefined;
  const build = async () => {
    const [{ default: Fastify }, { default: staticSwagger }, { default: swaggerUi }] = await Promise.all([
      import('fastify'),
      import('@fastify/swagger'),
      import('@fastify/swagger-ui'),
    ]);
    const inner = Fastify();
    await inner.register(staticSwagger, { mode: 'static', specification: { document: (await document()) as never } });
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
