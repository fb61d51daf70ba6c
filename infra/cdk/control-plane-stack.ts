import path from 'node:path';
import { Aws, CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup, SubnetType, Vpc, FlowLogDestination } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { CfnServerlessCache } from 'aws-cdk-lib/aws-elasticache';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { tableNames } from '../../shared/dynamo';
import { AgentPlane, CONTAINER_PORT } from './agent-plane';
import { ControlPlaneAlarms } from './alarms';
import { ApiFunction } from './api-function';
import type { Deployment } from './deployment';
import { createTables, tableArns } from './tables';
import { ITEM_ACTIONS, TenantAccessRole, type TenantPolicyGenerator } from './tenant-access-role';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ControlPlaneStackProps extends StackProps {
  deployment: Deployment;
  region: string;
  /** The bundled Lambda API (infra/cdk/lambda-asset.ts). */
  lambdaAssetDir: string;
  /** The session-policy generator for the token-vending role (default: leadingKeyPolicy). */
  tenantPolicy?: TenantPolicyGenerator;
}

/**
 * One control-plane region: network, Redis, the customer/admin API on Lambda, the agent plane
 * and workers on Fargate, IAM, alarms. The primary region's stack also owns the tables (global
 * tables replicated to the other regions when there are three); the others use their replicas.
 */
export class ControlPlaneStack extends Stack {
  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    const d = props.deployment;
    super(scope, id, { ...props, env: { region: props.region, account: props.env?.account }, description: `Harbormaster control plane, ${props.region}` });
    const primary = props.region === d.regions[0];

    const param = (name: string, description: string, extra: { default?: string; allowedPattern?: string } = {}) =>
      new CfnParameter(this, name, { type: 'String', description, ...extra }).valueAsString;
    const certificateArn = param('AgentPlaneCertificateArn', 'ACM certificate for the agent plane HTTPS listener', { allowedPattern: '^arn:aws[a-z-]*:acm:.+' });
    const agentPublicUrl = param('AgentPlanePublicUrl', 'URL agents use (agent-token issuer), e.g. https://agents.us-east-1.example.com', { allowedPattern: '^https://.+' });
    const apiPublicUrl = param('ApiPublicUrl', 'URL customers use for /v1, e.g. https://api.example.com', { allowedPattern: '^https://.+' });
    const adminJwksUrl = param('AdminJwksUrl', "The staff identity provider's JWKS URL", { allowedPattern: '^https://.+' });
    const adminIssuer = param('AdminIssuer', "The staff identity provider's issuer (iss)");

    // Network: public subnets for the load balancer and NAT, private ones for everything else.
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 3,
      natGateways: 2,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: { all: { destination: FlowLogDestination.toCloudWatchLogs() } },
    });
    const sg = (name: string, description: string) => new SecurityGroup(this, name, { vpc, description, allowAllOutbound: true });
    const albSg = sg('LoadBalancerSg', 'Agent plane load balancer: HTTPS from anywhere (agents call out)');
    const taskSg = sg('TaskSg', 'Agent plane and worker tasks');
    const lambdaSg = sg('ApiSg', 'Customer/admin API Lambda');
    const redisSg = sg('RedisSg', 'ElastiCache Serverless (Redis)');
    albSg.addIngressRule(Peer.anyIpv4(), Port.tcp(443), 'agents');
    taskSg.addIngressRule(albSg, Port.tcp(CONTAINER_PORT), 'load balancer');
    taskSg.addIngressRule(lambdaSg, Port.tcp(CONTAINER_PORT), 'topic changes forwarded to the leader');
    taskSg.addIngressRule(taskSg, Port.tcp(CONTAINER_PORT), 'not_leader redirects between nodes');
    for (const client of [taskSg, lambdaSg]) redisSg.addIngressRule(client, Port.tcp(6379), 'BullMQ, rate limits, liveness');

    const tables = primary ? createTables(this, d) : undefined;
    const names = tableNames(`${d.name}-`);
    const arns = [...tableArns({ tableName: names.control }, props.region, Aws.ACCOUNT_ID), ...tableArns({ tableName: names.metadata }, props.region, Aws.ACCOUNT_ID)];

    const redis = new CfnServerlessCache(this, 'Redis', {
      serverlessCacheName: `${d.name}-${props.region}`,
      engine: 'redis',
      majorEngineVersion: '7',
      description: 'Harbormaster BullMQ queues, rate limits, agent liveness',
      securityGroupIds: [redisSg.securityGroupId],
      subnetIds: vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    const redisUrl = `rediss://${redis.attrEndpointAddress}:${redis.attrEndpointPort}`;

    // The API key pepper: generated once, replicated to the other regions under the same name.
    const pepperName = `${d.name}/api-key-pepper`;
    const pepper: ISecret = primary
      ? new Secret(this, 'Pepper', {
          secretName: pepperName,
          description: 'HMAC pepper for API and agent key hashes (HM_API_KEY_PEPPER)',
          generateSecretString: { passwordLength: 64, excludePunctuation: true },
          replicaRegions: d.regions.slice(1).map((region) => ({ region })),
        })
      : Secret.fromSecretNameV2(this, 'Pepper', pepperName);

    const common = {
      NODE_ENV: 'production',
      HM_TABLE_PREFIX: `${d.name}-`,
      HM_QUEUE_PREFIX: d.name,
      HM_CREATE_TABLES: 'false',
      REDIS_URL: redisUrl,
      // ElastiCache Serverless serves cluster mode only: cluster clients, hash-tagged queues.
      HM_REDIS_CLUSTER: 'true',
      HM_ADMIN_JWKS_URL: adminJwksUrl,
      HM_ADMIN_ISSUER: adminIssuer,
    };

    const image = ContainerImage.fromAsset(ROOT, {
      file: 'infra/docker/Dockerfile',
      platform: Platform.LINUX_ARM64,
      exclude: ['node_modules', '.data', '.build', 'cdk.out', '.git', '**/*.log'],
    });
    const plane = new AgentPlane(this, 'AgentPlane', {
      vpc,
      image,
      taskSecurityGroup: taskSg,
      albSecurityGroup: albSg,
      certificateArn,
      pepper,
      environment: { ...common, AWS_REGION: props.region, HM_PUBLIC_URL: agentPublicUrl },
      agentPlane: d.agentPlane,
      workers: d.workers,
    });

    const api = new ApiFunction(this, 'Api', {
      assetDir: props.lambdaAssetDir,
      vpc,
      securityGroup: lambdaSg,
      envKey: new Key(this, 'ApiEnvKey', { enableKeyRotation: true, description: 'Encrypts the API Lambda environment' }),
      environment: {
        ...common,
        HM_PUBLIC_URL: apiPublicUrl,
        HM_AGENT_PLANE_URL: plane.internalUrl,
        // A dynamic reference: CloudFormation resolves it at deploy time; the template holds none.
        HM_API_KEY_PEPPER: pepper.secretValue.unsafeUnwrap(),
      },
      memoryMiB: d.lambda.memoryMiB,
      timeoutSeconds: d.lambda.timeoutSeconds,
    });
    if (tables) {
      plane.node.addDependency(tables.control, tables.metadata);
      api.node.addDependency(tables.control, tables.metadata);
    }

    // Data access: item actions on the two tables and their indexes, nothing wider.
    const appRoles: IRole[] = [api.fn.role!, plane.agentService.taskDefinition.taskRole, plane.workerService.taskDefinition.taskRole];
    for (const role of appRoles) {
      role.addToPrincipalPolicy(new PolicyStatement({ sid: 'HarbormasterTables', actions: [...ITEM_ACTIONS, 'dynamodb:DescribeTable'], resources: arns }));
    }
    const tenantAccess = new TenantAccessRole(this, 'TenantAccess', { tableArns: arns, assumedBy: appRoles.slice(0, 2), policy: props.tenantPolicy });
    api.fn.addEnvironment('HM_TENANT_ROLE_ARN', tenantAccess.role.roleArn);

    const alarms = new ControlPlaneAlarms(this, 'Alarms', { region: props.region, httpApi: api.httpApi, alb: plane.alb, commitTargets: plane.commitTargets });

    new CfnOutput(this, 'ApiEndpoint', { value: api.httpApi.apiEndpoint, description: 'Point ApiPublicUrl (custom domain) here' });
    new CfnOutput(this, 'AgentPlaneLoadBalancer', { value: plane.alb.loadBalancerDnsName, description: 'Point AgentPlanePublicUrl here' });
    new CfnOutput(this, 'TenantAccessRoleArn', { value: tenantAccess.role.roleArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn, description: 'Subscribe the on-call here' });
  }
}
