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
