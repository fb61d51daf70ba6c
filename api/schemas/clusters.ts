import { Type } from 'typebox';
import { Id, IsoTime } from './common';
import { TierName } from './tiers';
import { MAX_LIMIT_VALUE } from '../../services/tiers/limits';
import { MAX_JOURNAL_STRIPES, MIN_JOURNAL_STRIPES } from '../../services/clusters/journal-stripes';

const ClusterName = Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$', description: 'Lower-case letters, digits and "-", 2..63 characters, starting with a letter' });
const Region = Type.String({ pattern: '^[a-z]{2,}(-[a-z0-9]+)+$', maxLength: 32, examples: ['us-east-1'] });
const BucketUrl = Type.String({
  pattern: '^(s3|gs|azblob)://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[\\x21-\\x7e]*)?$',
  maxLength: 512,
  description: 'Object-store URL of the customer\'s bucket: s3://, gs:// or azblob://',
  examples: ['s3://acme-streaming-use1/harbormaster'],
});

const DAY_MS = 24 * 3600 * 1000;
export const ClusterConfig = Type.Object({
  defaultPartitions: Type.Integer({ minimum: 1, maximum: MAX_LIMIT_VALUE, description: "At most the tier's partitionsPerCluster (422 partitions_exceed_tier)" }),
  defaultRetentionMs: Type.Integer({ minimum: 60_000, maximum: 100 * 365 * DAY_MS }),
  defaultRetentionBytes: Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, description: 'retention.bytes of new topics (per partition); -1: no size limit' }),
  autoCreateTopics: Type.Boolean(),
  producerIdExpirationMs: Type.Integer({ minimum: 60_000, maximum: 365 * DAY_MS, description: "Kafka's producer.id.expiration.ms: idle producer state is dropped after this (default 7 days)" }),
  offsetsRetentionMs: Type.Integer({ minimum: 60_000, maximum: 365 * DAY_MS, description: "Kafka's offsets.retention.minutes in ms: a group without members or commits for this long is removed (default 7 days)" }),
});
const ClusterConfigPatch = Type.Partial(ClusterConfig, { additionalProperties: false });

export const Storage = Type.Object(
  {
    buckets: Type.Array(Type.Object({ region: Region, url: BucketUrl }, { additionalProperties: false }), { minItems: 1, maxItems: 3 }),
    writeQuorum: Type.Integer({ minimum: 1, maximum: 3 }),
  },
  { additionalProperties: false },
);

export const ClusterStatus = Type.Union([Type.Literal('provisioning'), Type.Literal('ready'), Type.Literal('deleting'), Type.Literal('deleted')]);

export const Cluster = Type.Object({
  id: Id('cluster'),
  tenantId: Id('tenant'),
  name: Type.String(),
  tier: TierName,
  regions: Type.Array(Type.String()),
  storage: Storage,
  config: ClusterConfig,
  deletionProtection: Type.Boolean(),
  journalStripes: Type.Integer({
    minimum: MIN_JOURNAL_STRIPES,
    maximum: MAX_JOURNAL_STRIPES,
    description: 'Partition keys the metadata journal is striped over (write headroom of about 1 MB/s of journal each); fixed at creation from the tier (or the tenant\'s admin setting)',
  }),
  status: ClusterStatus,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  deletedAt: Type.Optional(IsoTime),
  version: Type.Integer(),
});

export const CreateClusterBody = Type.Object(
  {
    name: ClusterName,
    tier: Type.Optional(TierName),
    regions: Type.Array(Region, { minItems: 1, maxItems: 3 }),
    storage: Storage,
    config: Type.Optional(ClusterConfigPatch),
    deletionProtection: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'orders',
        tier: 'pro',
        regions: ['us-east-1'],
        storage: { buckets: [{ region: 'us-east-1', url: 's3://acme-streaming-use1/orders' }], writeQuorum: 1 },
        config: { defaultPartitions: 6, autoCreateTopics: true },
        deletionProtection: true,
      },
    ],
  },
);

export const UpdateClusterBody = Type.Object(
  { tier: Type.Optional(TierName), config: Type.Optional(ClusterConfigPatch), deletionProtection: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1, examples: [{ deletionProtection: false }] },
);

export const ClusterParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });

const Count = Type.Object({ count: Type.Integer(), bytes: Type.Integer() });

/** A ready cluster's files by lifecycle state, as its metadata leader last counted them. */
export const ClusterWithFiles = Type.Object({
  ...Cluster.properties,
  files: Type.Optional(
    Type.Object(
      {
        live: Count,
        markedForDeletion: Type.Object(Count.properties, { description: 'No batch refers to them; within the grace period (readers may still hold a fetch plan)' }),
        due: Type.Object(Count.properties, { description: 'Past the grace period: waiting for an agent to delete the objects' }),
        countedAt: Type.String({ format: 'date-time', description: 'When the cluster\'s leader counted them (after each maintenance pass)' }),
      },
      { description: 'Absent until the cluster\'s leader first counted' },
    ),
  ),
  replication: Type.Optional(
    Type.Object(
      {
        filesMissingReplicas: Type.Integer({ description: 'Live files with a replica agents reported missing: due for re-replication' }),
        missingByRegion: Type.Record(Type.String(), Type.Integer(), { description: 'How many of those files miss their copy in each region' }),
        countedAt: Type.String({ format: 'date-time' }),
      },
      { description: 'Replicas agents could not read (multi-region reads after a region loss); absent until the cluster\'s leader first counted' },
    ),
  ),
});
