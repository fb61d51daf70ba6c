import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { tableNames } from '../shared/dynamo';

/**
 * The one definition of Harbormaster's tables, used by the embedded runtime (created on
 * start) and by the CDK stack. Every tenant-owned partition key begins with `T#<tenantId>`.
 *
 * control   pk/sk + GSI `gsi1` (gsi1pk/gsi1sk) for lookups that do not know the tenant
 *           yet (API key id → key item) and for vendor-wide admin lists.
 * metadata  pk/sk: per-cluster lease, journal and snapshots (`T#<tenant>#C#<cluster>`).
 */
export function tableDefinitions(prefix: string): CreateTableCommandInput[] {
  const names = tableNames(prefix);
  return [
    {
      TableName: names.control,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    {
      TableName: names.metadata,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    },
  ];
}

/**
 * The attribute DynamoDB TTL is switched on for (epoch seconds), on every table, by
 * `ensureTables`. dynalite has no TTL, and on AWS deletion lags expiry by up to days: every
 * reader of an item carrying it treats it as gone once it has passed.
 */
export const TTL_ATTRIBUTE = 'ttl';
