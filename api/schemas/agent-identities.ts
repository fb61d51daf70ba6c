import { Type } from 'typebox';
import { Id, IsoTime } from './common';
import { AgentAccess } from './agents';

const AccountId = Type.String({ pattern: '^\\d{12}$', description: 'The AWS account the agents run in', examples: ['123456789012'] });
const RoleArnPattern = Type.String({
  minLength: 20,
  maxLength: 200,
  description:
    'arn:aws:iam::<accountId>:role/<name>; the name may hold * (any run) and ? (one character). No IAM path: STS reports role sessions without it.',
  examples: ['arn:aws:iam::123456789012:role/warp-agents-*'],
});

export const AgentIdentity = Type.Object({
  id: Id('agentIdentity'),
  clusterId: Id('cluster'),
  provider: Type.Literal('aws'),
  accountId: Type.String(),
  roleArnPattern: Type.String(),
  access: AgentAccess,
  expiresAt: Type.Union([IsoTime, Type.Null()]),
  createdAt: IsoTime,
  createdBy: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired')]),
});

export const CreateAgentIdentityBody = Type.Object(
  { provider: Type.Literal('aws'), accountId: AccountId, roleArnPattern: RoleArnPattern, access: AgentAccess, expiresAt: Type.Optional(IsoTime) },
  {
    additionalProperties: false,
    examples: [{ provider: 'aws', accountId: '123456789012', roleArnPattern: 'arn:aws:iam::123456789012:role/warp-agents-*', access: 'read-write' }],
  },
);

export const AgentIdentityParams = Type.Object({ clusterId: Id('cluster'), identityId: Id('agentIdentity') }, { additionalProperties: false });

/** A signed STS GetCallerIdentity request (Vault's AWS IAM auth shape), for POST /agent/v1/token. */
export const IdentityExchangeBody = Type.Object(
  {
    clusterId: Id('cluster'),
    iamHttpRequestMethod: Type.String({ maxLength: 16, description: 'POST' }),
    iamRequestUrl: Type.String({ maxLength: 2048, description: 'base64 of the signed URL: one of the control plane\'s STS endpoints' }),
    iamRequestBody: Type.String({ maxLength: 1024, description: 'base64 of Action=GetCallerIdentity&Version=2011-06-15' }),
    iamRequestHeaders: Type.String({ maxLength: 16_384, description: 'base64 of a JSON object of the signed headers, Authorization and x-harbormaster-audience included' }),
  },
  { additionalProperties: false },
);
