import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps';
import { problems } from '../../schemas/common';
import { RegionParams, RegionView, RegionsOverview } from '../../schemas/regions';

/**
 * The deployment's regions for the vendor's staff: nodes, health and clusters led per region;
 * drain moves the leadership of every cluster out of a region without downtime (maintenance,
 * migration), undrain lets it back. Both are audited, refusals included.
 */
export const adminRegionRoutes = (deps: AppDeps): FastifyPluginAsyncTypebox => async (app) => {
  const regions = deps.services.regions;
  const security = [{ adminJwt: [] }];

  app.get(
    '/admin/v1/regions',
    { schema: { tags: ['admin'], summary: 'Regions: nodes, health, drained or not, clusters led', security, response: { 200: RegionsOverview, ...problems(401, 403) } } },
    async () => regions.overview(),
  );

  app.post(
    '/admin/v1/regions/:region/drain',
    {
      schema: {
        tags: ['admin'],
        summary: 'Move every cluster\'s leadership out of a region (hand-overs, no downtime); idempotent',
        security,
        params: RegionParams,
        response: { 200: RegionView, ...problems(400, 401, 403, 404, 409) },
      },
      config: { audit: { action: 'region.drain', target: 'region', idParam: 'region' } },
    },
    async (req) => regions.drain(req.ctx!, req.params.region),
  );

  app.post(
    '/admin/v1/regions/:region/undrain',
    {
      schema: {
        tags: ['admin'],
        summary: 'Let a drained region lead again (leadership returns to preferred regions); idempotent',
        security,
        params: RegionParams,
        response: { 200: RegionView, ...problems(400, 401, 403, 404) },
      },
      config: { audit: { action: 'region.undrain', target: 'region', idParam: 'region' } },
    },
    async (req) => regions.undrain(req.ctx!, req.params.region),
  );
};
