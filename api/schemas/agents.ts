import { Type } from 'typebox';
import { AGENT_ROLES } from '../../services/agents/model';
import { Id, IsoTime, Name } from './common';

const Count = (description?: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

export const AgentId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Chosen by the agent; stable across restarts', examples: ['agent-use1a-7f9c'] });
const Version = Type.String({ pattern: '^\\d{1,6}\\.\\d{1,6}\\.\\d{1,6}(-[0-9A-Za-z.-]{1,32})?$', examples: ['1.4.2'] });
const Region = Type.String({ pattern: '^[a-z]{2,}(-[a-z0-9]+)+$', maxLength: 32, examples: ['us-east-1'] });
const Zone = Type.String({ pattern: '^[a-z0-9-]{2,64}$', description: 'Availability zone within `region`', examples: ['us-east-1a'] });
/** host:port with a DNS name, IPv4 address or bracketed IPv6 address. */
const Address = Type.String({
  pattern: '^(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]{2,45}\\]):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$',
  maxLength: 300,
  examples: ['10.0.12.7:9092'],
});
export const Roles = Type.Array(Type.Enum(AGENT_ROLES), { minItems: 1, maxItems: AGENT_ROLES.length, uniqueItems: true });

export const Capacity = Type.Object(
  { cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })), memoryBytes: Type.Optional(Count()), maxConnections: Type.Optional(Count()), networkBytesPerSecond: Type.Optional(Count()) },
  { additionalProperties: false },
);

export const Stats = Type.Object(
  {
    bytesIn: Type.Optional(Count('Bytes received since the previous heartbeat')),
    bytesOut: Type.Optional(Count('Bytes sent since the previous heartbeat')),
    requests: Type.Optional(Count('Kafka requests since the previous heartbeat')),
    openConnections: Type.Optional(Count()),
    cpuPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 409_600 })),
    memoryBytes: Type.Optional(Count()),
    lagMs: Type.Optional(Count('Agent-reported lag')),
  },
  { additionalProperties: false },
);

export const RegisterBody = Type.Object(
  { agentId: AgentId, version: Version, region: Region, zone: Zone, advertisedAddress: Address, roles: Roles, capacity: Type.Optional(Capacity) },
  {
    additionalProperties: false,
    examples: [{ agentId: 'agent-use1a-7f9c', version: '1.4.2', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.12.7:9092', roles: ['proxy', 'jobs'], capacity: { cpus: 4 } }],
  },
);

const Directive = Type.Object({
  type: Type.Union([Type.Literal('config-changed'), Type.Literal('drain'), Type.Literal('upgrade-available')]),
  configVersion: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
});

export const RegisterResponse = Type.Object({
  agentId: Type.String(),
  state: Type.Literal('live'),
  heartbeatIntervalMs: Type.Integer(),
  configVersion: Type.Integer(),
  directives: Type.Array(Directive),
});

export const HeartbeatBody = Type.Object(
  { stats: Stats, configVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'The cluster config version the agent runs with' })) },
  { additionalProperties: false, examples: [{ stats: { bytesIn: 1048576, bytesOut: 2097152, requests: 1200, openConnections: 35, cpuPercent: 41.5, memoryBytes: 734003200, lagMs: 12 }, configVersion: 3 }] },
);

export const HeartbeatResponse = Type.Object({ heartbeatIntervalMs: Type.Integer(), directives: Type.Array(Directive) });

export const AgentParams = Type.Object({ clusterId: Id('cluster'), agentId: AgentId }, { additionalProperties: false });

export const DiscoveryQuery = Type.Object({ zone: Type.Optional(Zone) }, { additionalProperties: false });
export const Discovery = Type.Object({
  zone: Type.Union([Type.String(), Type.Null()]),
  generatedAt: IsoTime,
  agents: Type.Array(
    Type.Object({
      agentId: Type.String(),
      zone: Type.String(),
      region: Type.String(),
      advertisedAddress: Type.String(),
      state: Type.Union([Type.Literal('live'), Type.Literal('suspect')]),
      load: Type.Object({ openConnections: Type.Integer(), cpuPercent: Type.Number() }),
    }),
  ),
});

export const AgentView = Type.Object({
  agentId: Type.String(),
  version: Type.String(),
  region: Type.String(),
  zone: Type.String(),
  advertisedAddress: Type.String(),
  roles: Type.Array(Type.String()),
  capacity: Capacity,
  state: Type.Union([Type.Literal('live'), Type.Literal('suspect'), Type.Literal('dead'), Type.Literal('deregistered')]),
  lastHeartbeatAt: Type.Union([IsoTime, Type.Null()]),
  stats: Stats,
  registeredAt: IsoTime,
  updatedAt: IsoTime,
});

export const AgentAccess = Type.Union([Type.Literal('read-write'), Type.Literal('read-only')]);
export const AgentKey = Type.Object({
  id: Id('agentKey'),
  clusterId: Id('cluster'),
  name: Type.String(),
  access: AgentAccess,
  hint: Type.String(),
  createdAt: IsoTime,
  createdBy: Type.String(),
  revokedAt: Type.Union([IsoTime, Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
});
export const AgentKeyWithSecret = Type.Intersect([AgentKey, Type.Object({ secret: Type.String({ description: 'Shown once: hm_ak_…' }) })]);
export const CreateAgentKeyBody = Type.Object({ name: Name, access: AgentAccess }, { additionalProperties: false, examples: [{ name: 'prod-agents', access: 'read-write' }] });
export const AgentKeyParams = Type.Object({ clusterId: Id('cluster'), agentKeyId: Id('agentKey') }, { additionalProperties: false });

export const TokenResponse = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds' }),
  expiresAt: IsoTime,
  tenantId: Id('tenant'),
  clusterId: Id('cluster'),
  access: AgentAccess,
  subject: Type.Optional(Type.String({ description: 'Workload identity exchanges: the AWS role the token names as `sub`' })),
});

const Counts = Type.Record(Type.String(), Type.Integer());
export const FleetOverview = Type.Object({
  generatedAt: IsoTime,
  targetVersion: Type.Union([Type.String(), Type.Null()]),
  byState: Counts,
  byVersion: Counts,
  byRegion: Counts,
  byCluster: Type.Array(Type.Object({ tenantId: Type.String(), clusterId: Type.String(), live: Type.Integer(), suspect: Type.Integer(), dead: Type.Integer() })),
  clustersWithoutLiveAgents: Type.Array(Type.Object({ tenantId: Type.String(), clusterId: Type.String(), name: Type.String() })),
  outdatedAgents: Type.Array(Type.Object({ tenantId: Type.String(), clusterId: Type.String(), agentId: Type.String(), version: Type.String() })),
});

export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });
