import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildCdkApp } from '../../infra/cdk/app';
import { buildLambdaAsset } from '../../infra/cdk/bundle';
import { deployment } from '../../infra/cdk/deployment';
import { leadingKeyPolicy, TenantAccessRole, TENANT_FROM_SESSION } from '../../infra/cdk/tenant-access-role';
import { App, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { TTL_ATTRIBUTE, tableDefinitions } from '../../infra/tables';

// Synthesised offline: no account, no credentials, no network (the stacks name only a region).
const ROOT = path.resolve(import.meta.dirname, '../..');
const assetDir = path.join(ROOT, '.build', 'lambda-test');
let multi: Template[];
let single: Template;

before(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  buildLambdaAsset(assetDir);
  const templates = (regions: string[]) => synthesized(buildCdkApp({ deployment: deployment({ regions }), lambdaAssetDir: assetDir }));
  multi = templates(['us-east-1', 'us-east-2', 'us-west-2']);
  [single] = templates(['eu-west-1']);
});

/** One synthesis per app (Template.fromStack would synthesise again for every stack). */
function synthesized(app: ReturnType<typeof buildCdkApp>): Template[] {
  return app.synth().stacks.map((s) => Template.fromJSON(s.template));
}

const resources = (t: Template, type: string) => Object.values(t.findResources(type)) as { Properties: any }[];

test('the tables come from infra/tables.ts: keys, index, on demand, PITR, deletion protection, TTL, KMS encryption', () => {
  const tables = resources(multi[0], 'AWS::DynamoDB::GlobalTable');
  const defs = tableDefinitions('hm-');
  assert.equal(tables.length, defs.length);
  for (const def of defs) {
    const t = tables.find((x) => x.Properties.TableName === def.TableName);
    assert.ok(t, `${def.TableName} exists`);
    const p = t.Properties;
    assert.deepEqual(p.KeySchema, def.KeySchema);
    assert.deepEqual([...p.AttributeDefinitions].sort((a: any, b: any) => a.AttributeName.localeCompare(b.AttributeName)), [...def.AttributeDefinitions!].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!)));
    assert.deepEqual(
      (p.GlobalSecondaryIndexes ?? []).map((g: any) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })),
      (def.GlobalSecondaryIndexes ?? []).map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })),
    );
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(p.TimeToLiveSpecification, { AttributeName: TTL_ATTRIBUTE, Enabled: true });
    assert.deepEqual(p.SSESpecification, { SSEEnabled: true, SSEType: 'KMS' });
    for (const r of p.Replicas) {
      assert.equal(r.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true, `${def.TableName} ${r.Region} PITR`);
      assert.equal(r.DeletionProtectionEnabled, true, `${def.TableName} ${r.Region} deletion protection`);
    }
  }
});

test('three regions: global tables with multi-region strong consistency, owned by the primary; one region: a single replica', () => {
  for (const t of resources(multi[0], 'AWS::DynamoDB::GlobalTable')) {
    assert.equal(t.Properties.MultiRegionConsistency, 'STRONG');
    assert.deepEqual(t.Properties.Replicas.map((r: any) => r.Region).sort(), ['us-east-1', 'us-east-2', 'us-west-2']);
  }
  for (const other of multi.slice(1)) assert.equal(resources(other, 'AWS::DynamoDB::GlobalTable').length, 0, 'replica regions use the primary tables');
  const one = resources(single, 'AWS::DynamoDB::GlobalTable');
  assert.equal(one.length, 2);
  for (const t of one) {
    assert.equal(t.Properties.MultiRegionConsistency, undefined);
    assert.deepEqual(t.Properties.Replicas.map((r: any) => r.Region), ['eu-west-1']);
  }
});

test('the API Lambda runs infra/lambda.ts (index.handler) with its environment, in the VPC, environment encrypted', async () => {
  for (const t of multi) {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: Match.stringLikeRegexp('^nodejs2[2-9]\\.x$'),
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() }),
      KmsKeyArn: Match.anyValue(),
      Environment: {
        Variables: Match.objectLike({
          NODE_ENV: 'production',
          HM_TABLE_PREFIX: 'hm-',
          HM_QUEUE_PREFIX: 'hm',
          HM_CREATE_TABLES: 'false',
          HM_AGENT_PLANE_URL: 'http://agent-plane.harbormaster.internal:8080',
          REDIS_URL: { 'Fn::Join': ['', Match.arrayWith(['rediss://'])] },
          HM_REDIS_CLUSTER: 'true',
          HM_API_KEY_PEPPER: Match.anyValue(),
          HM_TENANT_ROLE_ARN: Match.anyValue(),
        }),
      },
    });
    const [fn] = resources(t, 'AWS::Lambda::Function').filter((f) => f.Properties.Handler === 'index.handler');
    // The pepper is a deploy-time reference to Secrets Manager, never the secret itself.
    assert.match(JSON.stringify(fn.Properties.Environment.Variables.HM_API_KEY_PEPPER), /\{\{resolve:secretsmanager:/);
    t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
  }
  // The deployed module exports the handler and does nothing at import (no env, no engines here).
  const bundle = path.join(assetDir, 'index.mjs');
  assert.ok(existsSync(bundle));
  const mod = await import(pathToFileURL(bundle).href);
  assert.equal(typeof mod.handler, 'function');
});

test('no IAM statement grants dynamodb:* or *, and none puts a DynamoDB action on resource *', () => {
  for (const t of [...multi, single]) {
    const statements: any[] = [];
    for (const p of resources(t, 'AWS::IAM::Policy')) statements.push(...p.Properties.PolicyDocument.Statement);
    for (const r of resources(t, 'AWS::IAM::Role')) for (const p of r.Properties.Policies ?? []) statements.push(...p.PolicyDocument.Statement);
    assert.ok(statements.length > 0);
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      const actions = [s.Action].flat();
      const res = [s.Resource].flat();
      assert.ok(!actions.includes('*') && !actions.includes('dynamodb:*'), `wildcard action in ${JSON.stringify(s)}`);
      if (actions.some((a: string) => a.startsWith('dynamodb:'))) assert.ok(!res.includes('*'), `DynamoDB on * in ${JSON.stringify(s)}`);
    }
  }
});

test('the tenant-access role is fenced by leading key (with the null-key guard) and assumable only with a tenant session tag', () => {
  const t = multi[0];
  const [role] = resources(t, 'AWS::IAM::Role').filter((r) => (r.Properties.Policies ?? []).some((p: any) => p.PolicyName === 'TenantScoped'));
  assert.ok(role, 'the tenant-access role exists');
  const [stmt] = role.Properties.Policies.find((p: any) => p.PolicyName === 'TenantScoped').PolicyDocument.Statement;
  assert.deepEqual(stmt.Condition, {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`T#${TENANT_FROM_SESSION}`, `T#${TENANT_FROM_SESSION}#*`] },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  });
  assert.ok(![stmt.Action].flat().includes('dynamodb:Scan'));
  for (const s of role.Properties.AssumeRolePolicyDocument.Statement) {
    assert.deepEqual(s.Condition, { StringLike: { 'aws:RequestTag/hm:tenant': 'tnt_*' } }, JSON.stringify(s));
  }
  // Another generator's document (issue 12's, when it lands) becomes the role's ceiling as is.
  const stack = new Stack(new App(), 'PolicyHook', { env: { region: 'us-east-1' } });
  const caller = new Role(stack, 'Caller', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const custom = (tenant: string, arns: string[]) => {
    const doc = leadingKeyPolicy(tenant, arns);
    doc.Statement[0].Sid = 'FromTheGenerator';
    return doc;
  };
  new TenantAccessRole(stack, 'Tenant', { tableArns: ['arn:aws:dynamodb:us-east-1:123456789012:table/hm-control'], assumedBy: [caller], policy: custom });
  const [r2] = resources(Template.fromStack(stack), 'AWS::IAM::Role').filter((r) => (r.Properties.Policies ?? []).some((p: any) => p.PolicyName === 'TenantScoped'));
  assert.equal(r2.Properties.Policies[0].PolicyDocument.Statement[0].Sid, 'FromTheGenerator');
});

test('encryption and exposure: HTTPS-only load balancer, secrets from Secrets Manager, Redis over TLS in private subnets', () => {
  for (const t of multi) {
    const listeners = resources(t, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.ok(listeners.length > 0);
    for (const l of listeners) {
      assert.equal(l.Properties.Protocol, 'HTTPS');
      assert.match(l.Properties.SslPolicy, /TLS13/);
    }
    for (const td of resources(t, 'AWS::ECS::TaskDefinition')) {
      const c = td.Properties.ContainerDefinitions[0];
      assert.ok(!(c.Environment ?? []).some((e: any) => e.Name === 'HM_API_KEY_PEPPER'), 'no pepper in plain task environment');
      assert.ok(c.Secrets.some((s: any) => s.Name === 'HM_API_KEY_PEPPER'));
      // ElastiCache Serverless serves cluster mode only.
      assert.ok((c.Environment ?? []).some((e: any) => e.Name === 'HM_REDIS_CLUSTER' && e.Value === 'true'), 'tasks use cluster clients');
    }
    t.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
  }
  multi[0].hasResourceProperties('AWS::SecretsManager::Secret', { ReplicaRegions: [{ Region: 'us-east-2' }, { Region: 'us-west-2' }] });
});

test('alarms: 5xx rate (API and agent plane), commit p99, failed jobs, lease churn', () => {
  for (const t of multi) {
    const alarms = resources(t, 'AWS::CloudWatch::Alarm');
    const text = JSON.stringify(alarms);
    assert.equal(alarms.length, 5);
    for (const needle of ['5xx', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime', 'QueueJobsFailed', 'LeaseTakeovers']) assert.ok(text.includes(needle), needle);
    assert.ok(alarms.every((a) => a.Properties.AlarmActions?.length === 1), 'every alarm notifies the topic');
    const p99 = alarms.find((a) => JSON.stringify(a).includes('TargetResponseTime'))!;
    assert.equal(p99.Properties.ExtendedStatistic, 'p99');
  }
});
