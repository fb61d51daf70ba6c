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
        operationId: 'createApiKey', summary: 'Create an API key (the secret is shown once)', description: 'Creates an API key with the given scopes (a key cannot grant scopes it does not hold) and optional expiry. The `secret` is in this answer only; store it. Scope `keys:write`; accepts Idempotency-Key.',
        security,
        headers: IdempotencyHeaders,
        body: CreateApiKeyBody,
        response: { 201: ApiKeyWithSecret, ...problems('scope_escalation', 'unknown_scope', 'invalid_expiry', 'api_key_limit_reached') },
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
      schema: { tags: ['customer'], operationId: 'listApiKeys', summary: 'List API keys', description: 'The tenant\'s API keys (never their secrets), newest first. Scope `keys:read`.', security, querystring: PageQuery, response: { 200: Page(ApiKey), ...problems('invalid_cursor') } },
      config: { scope: 'keys:read' },
    },
    async (req) => keys.list(tenantOf(req), req.query.limit ?? 20, req.query.cursor),
  );

  app.delete(
    '/v1/api-keys/:keyId',
    {
      schema: { tags: ['customer'], operationId: 'revokeApiKey', summary: 'Revoke an API key (effective immediately)', description: 'Revokes the key: requests with it are refused at once with 401 credentials_revoked. Scope `keys:write`.', security, params: ApiKeyParams, response: { 200: ApiKey, ...problems('api_key_not_found') } },
      config: { scope: 'keys:write', audit: { action: 'api_key.revoke', target: 'api_key', idParam: 'keyId' } },
    },
    async (req) => keys.revoke(tenantOf(req), req.params.keyId),
  );
};
