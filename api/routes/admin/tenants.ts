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
        operationId: 'createTenant', summary: 'Create a tenant and its first API key (secret shown once)', description: 'Creates a tenant on a plan (tier) and its first API key with every scope; the key\'s `secret` is in this answer only. Admin role; accepts Idempotency-Key.',
        security,
        headers: IdempotencyHeaders,
        body: CreateTenantBody,
        response: { 201: CreateTenantResponse, ...problems() },
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
    { schema: { tags: ['admin'], operationId: 'listTenants', summary: 'List tenants', description: 'Every tenant, newest first. Viewer role.', security, querystring: PageQuery, response: { 200: Page(Tenant), ...problems('invalid_cursor') } } },
    async (req) => {
      const page = await tenants.list(req.query.limit ?? 20, req.query.cursor);
      return { items: page.items.map(tenantView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/admin/v1/tenants/:tenantId',
    { schema: { tags: ['admin'], operationId: 'getAdminTenant', summary: 'Get a tenant', description: 'One tenant with its plan, status and limit overrides. Viewer role.', security, params: TenantParams, response: { 200: Tenant, ...problems('tenant_not_found') } } },
    async (req) => tenantView(await tenants.get(req.params.tenantId)),
  );

  app.patch(
    '/admin/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        operationId: 'updateTenant', summary: 'Change a tenant\'s name, tier, status or limit overrides', description: 'Renames, changes the plan (refused while clusters above it exist), suspends or reactivates (`status`), or overrides limits. Admin role.',
        security,
        params: TenantParams,
        body: UpdateTenantBody,
        response: { 200: Tenant, ...problems('tenant_not_found', 'tenant_deleting', 'concurrent_modification', 'limit_exceeded', 'tier_downgrade_blocked') },
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
        operationId: 'deleteTenant', summary: 'Delete a tenant (refused while it has clusters)', description: 'Starts deleting the tenant (202, status `deleting`): its keys are refused at once. Refused with 409 tenant_has_clusters while it has clusters. Admin role.',
        security,
        params: TenantParams,
        response: { 202: Tenant, ...problems('tenant_not_found', 'tenant_has_clusters', 'concurrent_modification') },
      },
      config: { audit: { action: 'tenant.delete', target: 'tenant', idParam: 'tenantId' } },
    },
    async (req, reply) => reply.code(202).send(tenantView(await tenants.delete(req.ctx!, req.params.tenantId))),
  );
};
