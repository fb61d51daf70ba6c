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
    { schema: { tags: ['admin'], operationId: 'listRegions', summary: 'Regions: nodes, health, drained or not, clusters led', description: 'Each region of the deployment: its nodes and their health, whether it is drained, and the clusters it leads. Viewer role.', security, response: { 200: RegionsOverview, ...problems() } } },
    async () => regions.overview(),
  );

  app.post(
    '/admin/v1/regions/:region/drain',
    {
      schema: {
        tags: ['admin'],
        operationId: 'drainRegion', summary: 'Move every cluster\'s leadership out of a region (hand-overs, no downtime); idempotent', description: 'Hands every cluster led in the region over to other regions (no expiry, no downtime) and keeps leadership out until undrained. Idempotent. Admin role.',
        security,
        params: RegionParams,
        response: { 200: RegionView, ...problems('region_not_found', 'no_region_to_move_to') },
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
        operationId: 'undrainRegion', summary: 'Let a drained region lead again (leadership returns to preferred regions); idempotent', description: 'Lets the region lead again; clusters move back to their preferred regions by hand-over. Idempotent. Admin role.',
        security,
        params: RegionParams,
        response: { 200: RegionView, ...problems('region_not_found') },
      },
      config: { audit: { action: 'region.undrain', target: 'region', idParam: 'region' } },
    },
    async (req) => regions.undrain(req.ctx!, req.params.region),
  );
};
