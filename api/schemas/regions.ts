import { Type } from 'typebox';
import { Id, IsoTime } from './common';

/** Regions: the agent's control-plane map, replica reports, and the operators' region view. */
export const RegionName = Type.String({ pattern: '^[a-z]{2,}(-[a-z0-9]+)+$', maxLength: 32, examples: ['us-east-1'] });

export const RegionParams = Type.Object({ region: RegionName }, { additionalProperties: false });

export const ControlPlane = Type.Object(
  {
    clusterId: Type.String(),
    writeQuorum: Type.Integer(),
    preferredRegion: Type.String({ description: 'The region that should lead: the cluster\'s first region that is not drained' }),
    leaderRegion: Type.Union([Type.String(), Type.Null()], { description: 'The region whose node holds the cluster\'s lease now; null while none does' }),
    leader: Type.Union([Type.String(), Type.Null()], { description: 'The leading node\'s address (what `not_leader` names)' }),
    regions: Type.Array(
      Type.Object({
        region: Type.String(),
        bucket: Type.Union([Type.String(), Type.Null()]),
        endpoints: Type.Array(Type.String(), { description: 'Control-plane endpoints of the region\'s live nodes; empty while it has none' }),
        drained: Type.Boolean(),
        healthy: Type.Boolean(),
      }),
    ),
    generatedAt: IsoTime,
  },
  {
    examples: [
      {
        clusterId: 'vci_2Yb8Kq3mN7pXwR4t',
        writeQuorum: 2,
        preferredRegion: 'us-east-1',
        leaderRegion: 'us-east-1',
        leader: 'https://us-east-1.cp.example.com',
        regions: [
          { region: 'us-east-1', bucket: 's3://acme-use1/data', endpoints: ['https://us-east-1.cp.example.com'], drained: false, healthy: true },
          { region: 'us-west-2', bucket: 's3://acme-usw2/data', endpoints: ['https://us-west-2.cp.example.com'], drained: false, healthy: true },
          { region: 'eu-west-1', bucket: 's3://acme-euw1/data', endpoints: ['https://eu-west-1.cp.example.com'], drained: false, healthy: true },
        ],
        generatedAt: '2026-11-24T18:30:00.000Z',
      },
    ],
  },
);

export const FileParams = Type.Object(
  { clusterId: Id('cluster'), fileId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }) },
  { additionalProperties: false },
);

export const ReplicaMissingBody = Type.Object(
  {
    region: RegionName,
    bucket: Type.String({ minLength: 1, maxLength: 512 }),
    reason: Type.Optional(Type.Union([Type.Literal('not_found'), Type.Literal('checksum_mismatch'), Type.Literal('unreadable')])),
  },
  { additionalProperties: false, examples: [{ region: 'us-east-1', bucket: 's3://acme-use1/data', reason: 'not_found' }] },
);

export const ReplicaMissingResponse = Type.Object({
  fileId: Type.String(),
  missingRegions: Type.Array(Type.String()),
  remainingReplicas: Type.Integer(),
});

const RegionNode = Type.Object({
  nodeId: Type.String(),
  address: Type.String(),
  endpoint: Type.String(),
  live: Type.Boolean(),
  healthy: Type.Boolean(),
  storeLatencyMs: Type.Integer({ description: 'p90 of the node\'s store round trips over the last 5 s' }),
  leading: Type.Integer({ description: 'Clusters this node leads' }),
  lastSeen: IsoTime,
});

export const RegionView = Type.Object({
  region: Type.String(),
  drained: Type.Boolean(),
  healthy: Type.Boolean({ description: 'Not drained, with a live node whose store round trips are within budget' }),
  liveNodes: Type.Integer(),
  clustersLed: Type.Integer(),
  nodes: Type.Array(RegionNode),
});

export const RegionsOverview = Type.Object({ items: Type.Array(RegionView), generatedAt: IsoTime });

