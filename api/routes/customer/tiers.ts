import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TIERS, TIER_CATALOGUE_VERSION, TIER_NAMES } from '../../../services/tiers/catalogue';
import { TierCatalogue } from '../../schemas/tiers';

/** The public tier catalogue (no auth). */
export const tierRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/tiers',
    { schema: { tags: ['customer'], operationId: 'listTiers', summary: 'List the tiers and their limits', description: 'The public tier catalogue: each tier\'s SLA, limits and unit prices. No auth.', response: { 200: TierCatalogue } } },
    async () => ({ version: TIER_CATALOGUE_VERSION, tiers: TIER_NAMES.map((n) => TIERS[n]) }),
  );
};
