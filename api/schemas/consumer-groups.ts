import { Type } from 'typebox';
import { Id } from './common';
import { TopicName } from './topics';

/**
 * The classic Kafka group protocol and offsets, as agents relay them for their clients.
 * Protocol metadata and assignments are the clients' own bytes, base64; Kafka's error names
 * come back in `error` with a 200, as Kafka answers them; malformed requests are 400s.
 */
const Base64 = Type.String({ maxLength: 350_000, pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'Bytes, base64' });
const MemberId = Type.String({ maxLength: 512, description: 'The id the coordinator gave the member ("" to join as a new member)', examples: ['consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e'] });
const InstanceId = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()], { description: 'Static membership (group.instance.id); null when dynamic' });
const Generation = Type.Integer({ minimum: -1, maximum: 2 ** 31 - 1 });
const GroupErrorName = Type.String({
  description: "Kafka's error name, when the call did not succeed",
  examples: ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'MEMBER_ID_REQUIRED'],
});

export const GroupParams = Type.Object(
  {
    clusterId: Id('cluster'),
    group: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: 'Consumer group id (URL-encoded)', examples: ['billing-consumers'] }),
  },
  { additionalProperties: false },
);

export const JoinGroupBody = Type.Object(
  {
    memberId: MemberId,
    groupInstanceId: Type.Optional(InstanceId),
    clientId: Type.String({ maxLength: 255 }),
    clientHost: Type.Optional(Type.String({ maxLength: 255 })),
    sessionTimeoutMs: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }),
    rebalanceTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: 'Defaults to sessionTimeoutMs' })),
    protocolType: Type.String({ minLength: 1, maxLength: 255, examples: ['consumer'] }),
    protocols: Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), metadata: Base64 }, { additionalProperties: false }), { minItems: 1, maxItems: 16 }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        memberId: '',
        clientId: 'consumer-1',
        clientHost: '/10.0.1.23',
        sessionTimeoutMs: 45000,
        rebalanceTimeoutMs: 300000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: 'AAMAAAABAAZvcmRlcnP/////AAAAAA==' }],
      },
    ],
  },
);

export const JoinGroupResponse = Type.Object(
  {
    error: Type.Optional(GroupErrorName),
    generationId: Type.Integer(),
    protocolType: Type.Union([Type.String(), Type.Null()]),
    protocolName: Type.Union([Type.String(), Type.Null()]),
    leader: Type.String(),
    memberId: Type.String(),
    members: Type.Array(Type.Object({ memberId: Type.String(), groupInstanceId: Type.Union([Type.String(), Type.Null()]), metadata: Type.String() }), {
      description: "Only the group's leader gets the members, with their metadata for the chosen protocol",
    }),
  },
  {
    examples: [
      {
        generationId: 3,
        protocolType: 'consumer',
        protocolName: 'range',
        leader: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e',
        memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e',
        members: [{ memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e', groupInstanceId: null, metadata: 'AAMAAAABAAZvcmRlcnP/////AAAAAA==' }],
      },
    ],
  },
);

export const StillWaiting = Type.Object(
  { waiting: Type.Literal(true), memberId: Type.String() },
  { description: 'The rebalance is still going and this request reached the server\'s wait cap: send the same request again', examples: [{ waiting: true, memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e' }] },
);

export const SyncGroupBody = Type.Object(
  {
    memberId: MemberId,
    groupInstanceId: Type.Optional(InstanceId),
    generationId: Generation,
    protocolType: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    protocolName: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    assignments: Type.Optional(
      Type.Array(Type.Object({ memberId: MemberId, assignment: Base64 }, { additionalProperties: false }), { maxItems: 1000, description: "The leader's assignment for each member; others send none" }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e', generationId: 3, assignments: [{ memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e', assignment: 'AAMAAAABAAZvcmRlcnMAAAACAAAAAAAAAAH/////' }] }],
  },
);

export const SyncGroupResponse = Type.Object(
  {
    error: Type.Optional(GroupErrorName),
    protocolType: Type.Union([Type.String(), Type.Null()]),
    protocolName: Type.Union([Type.String(), Type.Null()]),
    assignment: Type.String({ description: "This member's assignment, base64" }),
  },
  { examples: [{ protocolType: 'consumer', protocolName: 'range', assignment: 'AAMAAAABAAZvcmRlcnMAAAACAAAAAAAAAAH/////' }] },
);

export const HeartbeatBody = Type.Object(
  { memberId: MemberId, groupInstanceId: Type.Optional(InstanceId), generationId: Generation },
  { additionalProperties: false, examples: [{ memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e', generationId: 3 }] },
);

export const HeartbeatResponse = Type.Object({ error: Type.Optional(GroupErrorName) }, { examples: [{}, { error: 'REBALANCE_IN_PROGRESS' }] });

export const LeaveGroupBody = Type.Object(
  { members: Type.Array(Type.Object({ memberId: MemberId, groupInstanceId: Type.Optional(InstanceId) }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false, examples: [{ members: [{ memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e' }] }] },
);

export const LeaveGroupResponse = Type.Object({
  members: Type.Array(Type.Object({ memberId: Type.String(), groupInstanceId: Type.Union([Type.String(), Type.Null()]), error: Type.Optional(GroupErrorName) })),
});

export const CommitOffsetsBody = Type.Object(
  {
    generationId: Type.Optional(Generation),
    memberId: Type.Optional(Type.String({ maxLength: 512 })),
    groupInstanceId: Type.Optional(InstanceId),
    offsets: Type.Array(
      Type.Object(
        {
          topic: TopicName,
          partition: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
          offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
          metadata: Type.Optional(Type.Union([Type.String({ maxLength: 65_536 }), Type.Null()])),
          leaderEpoch: Type.Optional(Type.Integer({ minimum: -1, maximum: 2 ** 31 - 1 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  {
    additionalProperties: false,
    description: 'With memberId and generationId: a commit within the group generation. Without: a standalone commit, allowed while the group has no members.',
    examples: [
      { memberId: 'consumer-1-5b0c1d9e-2f4a-4b7c-9d3e-8a1f2b3c4d5e', generationId: 3, offsets: [{ topic: 'orders', partition: 0, offset: 1042, metadata: '', leaderEpoch: 0 }] },
      { offsets: [{ topic: 'orders', partition: 0, offset: 1042 }] },
    ],
  },
);

export const CommitOffsetsResponse = Type.Object(
  { partitions: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), error: Type.Optional(GroupErrorName) })) },
  { examples: [{ partitions: [{ topic: 'orders', partition: 0 }] }] },
);

export const FetchOffsetsQuery = Type.Object(
  { topic: Type.Optional(Type.Union([TopicName, Type.Array(TopicName, { maxItems: 1000 })], { description: 'Only these topics (repeat the parameter), every partition of each; else every committed offset' })) },
  { additionalProperties: false },
);

export const FetchOffsetsResponse = Type.Object(
  {
    partitions: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), offset: Type.Integer({ description: '-1 when none is committed' }), leaderEpoch: Type.Integer(), metadata: Type.String() })),
  },
  { examples: [{ partitions: [{ topic: 'orders', partition: 0, offset: 1042, leaderEpoch: 0, metadata: '' }] }] },
);

const GroupSummary = Type.Object({
  group: Type.String(),
  state: Type.String({ examples: ['Stable'], description: 'Empty, PreparingRebalance, CompletingRebalance or Stable' }),
  protocolType: Type.String({ description: '"" for a group that only stores offsets' }),
  members: Type.Integer(),
});

export const GroupList = Type.Object({
  items: Type.Array(GroupSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
});

export const GroupDescription = Type.Object(
  {
    ...GroupSummary.properties,
    protocol: Type.String(),
    generation: Type.Integer(),
    leader: Type.String(),
    memberDetails: Type.Array(
      Type.Object({
        memberId: Type.String(),
        groupInstanceId: Type.Union([Type.String(), Type.Null()]),
        clientId: Type.String(),
        clientHost: Type.String(),
        assignment: Type.Union([Type.Array(Type.Object({ topic: Type.String(), partitions: Type.Array(Type.Integer()) })), Type.Null()], {
          description: "The member's partitions, when the group uses Kafka's consumer protocol",
        }),
      }),
    ),
    offsets: Type.Array(
      Type.Object({
        topic: Type.String(),
        partition: Type.Integer(),
        committedOffset: Type.Integer(),
        metadata: Type.String(),
        leaderEpoch: Type.Integer(),
        highWatermark: Type.Integer(),
        lag: Type.Integer({ description: 'highWatermark - committedOffset (0 when ahead)' }),
      }),
    ),
    totalLag: Type.Integer(),
  },
  {
    examples: [
      {
        group: 'billing',
        state: 'Stable',
        protocolType: 'consumer',
        members: 1,
        protocol: 'range',
        generation: 3,
        leader: 'consumer-1-5b0c1d9e',
        memberDetails: [{ memberId: 'consumer-1-5b0c1d9e', groupInstanceId: null, clientId: 'consumer-1', clientHost: '/10.0.1.23', assignment: [{ topic: 'orders', partitions: [0, 1] }] }],
        offsets: [{ topic: 'orders', partition: 0, committedOffset: 1042, metadata: '', leaderEpoch: 0, highWatermark: 1100, lag: 58 }],
        totalLag: 58,
      },
    ],
  },
);
