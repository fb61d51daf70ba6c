import { Type } from 'typebox';
import { API_KEY_SCOPES } from '../../services/credentials/scopes';
import { Id, IsoTime, Name } from './common';

export const ApiKey = Type.Object({
  id: Id('apiKey'),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  hint: Type.String({ description: 'Identifies the key without revealing it', examples: ['hm_sk_01jd4v7m2q8x3k5n6p7r8s9t0a_…'] }),
  createdAt: IsoTime,
  createdBy: Type.String(),
  expiresAt: Type.Union([IsoTime, Type.Null()]),
  revokedAt: Type.Union([IsoTime, Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  expiresSoon: Type.Boolean({ description: 'Active and expiring within 7 days: time to rotate it' }),
});

export const ApiKeyWithSecret = Type.Intersect([
  ApiKey,
  Type.Object({ secret: Type.String({ description: 'Shown once: store it now', examples: ['hm_sk_01jd4v7m2q8x3k5n6p7r8s9t0a_…'] }) }),
]);

export const CreateApiKeyBody = Type.Object(
  {
    name: Name,
    scopes: Type.Array(Type.String({ maxLength: 64 }), {
      minItems: 1,
      maxItems: API_KEY_SCOPES.length,
      description: `Any of: ${API_KEY_SCOPES.join(', ')}`,
    }),
    expiresAt: Type.Optional(IsoTime),
  },
  { additionalProperties: false, examples: [{ name: 'terraform', scopes: ['clusters:read', 'clusters:write'], expiresAt: '2027-06-01T00:00:00Z' }] },
);

export const ApiKeyParams = Type.Object({ keyId: Id('apiKey') }, { additionalProperties: false });
