import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { IdempotencyHeaders, Page, PageQuery, problems } from '../../schemas/common';
import { ApiKey, ApiKeyParams, ApiKeyWithSecret, CreateApiKeyBody } from '../../schemas/api-keys';
import { tenantOf } from './tenant-of';

export const apiKeyRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const keys = deps.services.apiKeys;
  const security = [{ apiKey: [] }];

  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['customer'],
        summary: 'Create an API key (the secret is shown once)',
        security,
        headers: IdempotencyHeaders,
        body: CreateApiKeyBody,
        response: { 201: ApiKeyWithSecret, ...problems(400, 401, 403, 409, 422) },
      },
      config: {
        scope: 'keys:write',
        // Checked before any idempotent replay, so a narrower key never receives a broader one.
        authorize: (req) => keys.assertCanGrant(req.ctx!, (req.body as { scopes: string[] }).scopes),
        idempotent: true,
        audit: { action: 'api_key.create', target: 'api_key' },
      },
    },
    async (req, reply) => {
      const key = await keys.create(req.ctx!, tenantOf(req), req.body);
      req.auditTarget = { id: key.id };
      return reply.code(201).send(key);
    },
  );

  app.get(
    '/v1/api-keys',
    {
      schema: { tags: ['customer'], summary: 'List API keys', security, querystring: PageQuery, response: { 200: Page(ApiKey), ...problems(400, 401, 403) } },
      config: { scope: 'keys:read' },
    },
    async (req) => keys.list(tenantOf(req), req.query.limit ?? 20, req.query.cursor),
  );

  app.delete(
    '/v1/api-keys/:keyId',
    {
      schema: { tags: ['customer'], summary: 'Revoke an API key (effective immediately)', security, params: ApiKeyParams, response: { 200: ApiKey, ...problems(400, 401, 403, 404) } },
      config: { scope: 'keys:write', audit: { action: 'api_key.revoke', target: 'api_key', idParam: 'keyId' } },
    },
    async (req) => keys.revoke(tenantOf(req), req.params.keyId),
  );
};
