import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { tenantView } from '../../presenters';
import { IdempotencyHeaders, Page, PageQuery, problems } from '../../schemas/common';
import { CreateTenantBody, CreateTenantResponse, Tenant, TenantParams, UpdateTenantBody } from '../../schemas/tenants';

export const adminTenantRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const tenants = deps.services.tenants;
  const security = [{ adminJwt: [] }];

  app.post(
    '/admin/v1/tenants',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a tenant and its first API key (secret shown once)',
        security,
        headers: IdempotencyHeaders,
        body: CreateTenantBody,
        response: { 201: CreateTenantResponse, ...problems(400, 401, 403, 422) },
      },
      config: { idempotent: true, audit: { action: 'tenant.create', target: 'tenant' } },
    },
    async (req, reply) => {
      const { tenant, apiKey } = await tenants.create(req.ctx!, req.body);
      req.auditTarget = { id: tenant.id, tenantId: tenant.id };
      return reply.code(201).header('location', `/admin/v1/tenants/${tenant.id}`).send({ tenant: tenantView(tenant), apiKey });
    },
  );

  app.get(
    '/admin/v1/tenants',
    { schema: { tags: ['admin'], summary: 'List tenants', security, querystring: PageQuery, response: { 200: Page(Tenant), ...problems(400, 401, 403) } } },
    async (req) => {
      const page = await tenants.list(req.query.limit ?? 20, req.query.cursor);
      return { items: page.items.map(tenantView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/admin/v1/tenants/:tenantId',
    { schema: { tags: ['admin'], summary: 'Get a tenant', security, params: TenantParams, response: { 200: Tenant, ...problems(400, 401, 403, 404) } } },
    async (req) => tenantView(await tenants.get(req.params.tenantId)),
  );

  app.patch(
    '/admin/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change a tenant\'s name, tier, status or limit overrides',
        security,
        params: TenantParams,
        body: UpdateTenantBody,
        response: { 200: Tenant, ...problems(400, 401, 403, 404, 409) },
      },
      config: { audit: { action: 'tenant.update', target: 'tenant', idParam: 'tenantId' } },
    },
    async (req) => tenantView(await tenants.update(req.ctx!, req.params.tenantId, req.body)),
  );

  app.delete(
    '/admin/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a tenant (refused while it has clusters)',
        security,
        params: TenantParams,
        response: { 202: Tenant, ...problems(400, 401, 403, 404, 409) },
      },
      config: { audit: { action: 'tenant.delete', target: 'tenant', idParam: 'tenantId' } },
    },
    async (req, reply) => reply.code(202).send(tenantView(await tenants.delete(req.ctx!, req.params.tenantId))),
  );
};
