import { Type } from 'typebox';
import { Id, IsoTime, Name } from './common';
import { LimitOverrides, TierName } from './tiers';
import { ApiKeyWithSecret } from './api-keys';
import { MAX_JOURNAL_STRIPES, MIN_JOURNAL_STRIPES } from '../../services/clusters/journal-stripes';

const JournalStripes = Type.Integer({
  minimum: MIN_JOURNAL_STRIPES,
  maximum: MAX_JOURNAL_STRIPES,
  description: "Partition keys the metadata journal of the tenant's new clusters is striped over (absent: the tier's default; existing clusters keep theirs). Capped by the fleet's HM_MAX_JOURNAL_STRIPES.",
});

export const Tenant = Type.Object({
  id: Id('tenant'),
  name: Type.String(),
  tier: TierName,
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleting')]),
  limitOverrides: LimitOverrides,
  journalStripes: Type.Optional(JournalStripes),
  clusterCount: Type.Integer({ description: 'Clusters counting against the plan' }),
  tierCatalogueVersion: Type.String(),
  version: Type.Integer({ description: 'Bumped on every change' }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const CreateTenantBody = Type.Object(
  { name: Name, tier: TierName, limitOverrides: Type.Optional(LimitOverrides), journalStripes: Type.Optional(JournalStripes) },
  { additionalProperties: false, examples: [{ name: 'Acme Corp', tier: 'pro' }] },
);

export const CreateTenantResponse = Type.Object({ tenant: Tenant, apiKey: ApiKeyWithSecret });

export const UpdateTenantBody = Type.Object(
  {
    name: Type.Optional(Name),
    tier: Type.Optional(TierName),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
    limitOverrides: Type.Optional(LimitOverrides),
    journalStripes: Type.Optional(JournalStripes),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ status: 'suspended' }, { tier: 'enterprise' }] },
);

export const TenantParams = Type.Object({ tenantId: Id('tenant') }, { additionalProperties: false });
