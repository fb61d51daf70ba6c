import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { SwaggerOptions } from '@fastify/swagger';
import { problemCodesByStatus, problemResponse, type RouteSchemaLike } from './openapi-problems';
import { addExamples } from './openapi-examples';

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
    return finishDocument(inner.swagger() as unknown as OpenApiDocument, routes, publicUrl);
  };
  registerDocsUi(app, () => {
    document ??= build().catch((e) => {
      document = undefined;
      throw e;
    });
    return document;
  });
}

type Operation = { responses?: Record<string, unknown>; requestBody?: unknown; [k: string]: unknown };
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> }; [k: string]: unknown };

/** Fastify's `/a/:b` as OpenAPI's `/a/{b}`. */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * What @fastify/swagger cannot write from the route schemas: each operation's problem
 * responses by status, as application/problem+json listing the codes the route can return
 * (plugins/openapi-problems.ts), and an example of every request and answer body made from
 * the field examples of its schema (plugins/openapi-examples.ts).
 */
function finishDocument(doc: OpenApiDocument, routes: RouteOptions[], publicUrl: string): OpenApiDocument {
  for (const route of routes) {
    const schema = route.schema as (RouteSchemaLike & { hide?: boolean }) | undefined;
    if (!schema || schema.hide) continue;
    for (const method of [route.method].flat()) {
      const op = doc.paths[openApiPath(route.url)]?.[method.toLowerCase()];
      if (!op) continue;
      const responses: Record<string, unknown> = {};
      for (const [status, response] of Object.entries(op.responses ?? {})) if (Number(status) < 400) responses[status] = response;
      for (const [status, codes] of problemCodesByStatus({ url: route.url, config: route.config, schema })) {
        responses[String(status)] = problemResponse(status, codes, publicUrl);
      }
      op.responses = responses;
    }
  }
  addExamples(doc);
  return doc;
}

function openApiOptions(publicUrl: string): SwaggerOptions {
  return {
    // Shared schemas (Problem) keep their $id as their component name.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
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
