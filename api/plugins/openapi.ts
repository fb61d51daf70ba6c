import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

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
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
