import { Type } from 'typebox';

export const LeakedSecretBody = Type.Object(
  { secret: Type.String({ minLength: 1, maxLength: 512, description: 'The secret as found (hm_sk_… or hm_ak_…)' }) },
  { additionalProperties: false },
);

export const LeakReport = Type.Object({
  recognised: Type.Boolean({ description: 'True only for a valid secret of ours: it has been revoked' }),
  kind: Type.Optional(Type.Union([Type.Literal('api-key'), Type.Literal('agent-key')])),
  id: Type.Optional(Type.String()),
  tenantId: Type.Optional(Type.String()),
  clusterId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  revokedAt: Type.Optional(Type.String()),
  alreadyRevoked: Type.Optional(Type.Boolean()),
});

const Counts = Type.Object({ current: Type.Integer(), previous: Type.Integer(), untagged: Type.Integer() });
export const PepperStatus = Type.Object({
  currentPepperId: Type.String({ description: 'Fingerprint of the current pepper (never the pepper)' }),
  previousPepperIds: Type.Array(Type.String()),
  apiKeys: Counts,
  agentKeys: Counts,
  signingKey: Type.Union([Type.Literal('current'), Type.Literal('previous'), Type.Literal('none')], {
    description: 'The pepper the agent-token signing key in use is sealed under; `previous` until its successor (published at start) takes over',
  }),
  remaining: Type.Integer({ description: 'Live secrets whose hash may still need a previous pepper, plus 1 while the signing key does; 0 = the previous pepper can go' }),
});
