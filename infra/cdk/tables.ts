import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, MultiRegionConsistency, ProjectionType, TableEncryptionV2, TableV2, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE, tableDefinitions } from '../tables';
import type { Deployment } from './deployment';

/**
 * Harbormaster's two tables, from the one definition in infra/tables.ts (the embedded runtime
 * creates the same ones): on demand, point-in-time recovery, deletion protection, the TTL
 * attribute, encrypted with the AWS-managed KMS key. With three regions each is a global table
 * with multi-region strong consistency, owned by the primary region's stack.
 */
export function createTables(scope: Construct, d: Deployment): { control: TableV2; metadata: TableV2 } {
  const defs = tableDefinitions(`${d.name}-`);
  const [control, metadata] = defs.map((def) => tableFrom(scope, def, d));
  return { control, metadata };
}

function tableFrom(scope: Construct, def: CreateTableCommandInput, d: Deployment): TableV2 {
  const attrType = (name: string) => {
    const t = def.AttributeDefinitions!.find((a) => a.AttributeName === name)!.AttributeType;
    return t === 'N' ? AttributeType.NUMBER : t === 'B' ? AttributeType.BINARY : AttributeType.STRING;
  };
  const key = (ks: { AttributeName?: string; KeyType?: string }[], type: 'HASH' | 'RANGE') => {
    const k = ks.find((x) => x.KeyType === type);
    return k ? { name: k.AttributeName!, type: attrType(k.AttributeName!) } : undefined;
  };
  const multiRegion = d.regions.length === 3;
  const logical = def.TableName!.slice(d.name.length + 1);
  return new TableV2(scope, `${logical[0].toUpperCase()}${logical.slice(1)}Table`, {
    tableName: def.TableName!,
    partitionKey: key(def.KeySchema!, 'HASH')!,
    sortKey: key(def.KeySchema!, 'RANGE'),
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    timeToLiveAttribute: TTL_ATTRIBUTE,
    encryption: TableEncryptionV2.awsManagedKey(),
    globalSecondaryIndexes: (def.GlobalSecondaryIndexes ?? []).map((g) => ({
      indexName: g.IndexName!,
      partitionKey: key(g.KeySchema!, 'HASH')!,
      sortKey: key(g.KeySchema!, 'RANGE'),
      projectionType: g.Projection?.ProjectionType === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
    })),
    ...(multiRegion
      ? { multiRegionConsistency: MultiRegionConsistency.STRONG, replicas: d.regions.slice(1).map((region) => ({ region })) }
      : {}),
  });
}

/** ARNs of a table (and its indexes) in one region, for stacks that do not own it. */
export function tableArns(table: ITableV2 | { tableName: string }, region: string, account: string): string[] {
  const arn = `arn:aws:dynamodb:${region}:${account}:table/${table.tableName}`;
  return [arn, `${arn}/index/*`];
}
