import { Duration } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerImage, ContainerInsights, FargateService, FargateTaskDefinition, LogDrivers, Secret as EcsSecret, CpuArchitecture, OperatingSystemFamily } from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  ListenerAction,
  ListenerCondition,
  SslPolicy,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { PrivateDnsNamespace } from 'aws-cdk-lib/aws-servicediscovery';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const CONTAINER_PORT = 8080;
/** Where the Lambda API reaches the agent plane inside the VPC (Cloud Map DNS). */
export const AGENT_PLANE_HOST = 'agent-plane';
export const NAMESPACE = 'harbormaster.internal';

/**
 * The long-running half: the agent plane (agent API, sequencer leadership, long polls) behind
 * an internet-facing HTTPS load balancer that agents call out to, and the BullMQ workers.
 * Both run the same image (infra/docker/Dockerfile); HM_ROLE picks what a task runs. Commits
 * get their own target group so that the load balancer measures their latency apart.
 */
export class AgentPlane extends Construct {
  readonly alb: ApplicationLoadBalancer;
  readonly commitTargets: ApplicationTargetGroup;
  readonly agentService: FargateService;
  readonly workerService: FargateService;
  readonly internalUrl = `http://${AGENT_PLANE_HOST}.${NAMESPACE}:${CONTAINER_PORT}`;

  constructor(
    scope: Construct,
    id: string,
    props: {
      vpc: IVpc;
      image: ContainerImage;
      taskSecurityGroup: ISecurityGroup;
      albSecurityGroup: ISecurityGroup;
      certificateArn: string;
      environment: Record<string, string>;
      pepper: ISecret;
      agentPlane: { desiredCount: number; cpu: number; memoryMiB: number };
      workers: { desiredCount: number; cpu: number; memoryMiB: number };
    },
  ) {
    super(scope, id);
    const cluster = new Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ContainerInsights.ENABLED });
    const namespace = new PrivateDnsNamespace(this, 'Namespace', { name: NAMESPACE, vpc: props.vpc });

    const task = (name: string, role: 'api' | 'workers', size: { cpu: number; memoryMiB: number }) => {
      const def = new FargateTaskDefinition(this, `${name}Task`, {
        cpu: size.cpu,
        memoryLimitMiB: size.memoryMiB,
        runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
      });
      def.addContainer('harbormaster', {
        image: props.image,
        portMappings: [{ containerPort: CONTAINER_PORT }],
        environment: { ...props.environment, HM_ROLE: role, PORT: String(CONTAINER_PORT), HOST: '0.0.0.0', HM_CLOUDWATCH_METRICS: 'true' },
        secrets: { HM_API_KEY_PEPPER: EcsSecret.fromSecretsManager(props.pepper) },
        logging: LogDrivers.awsLogs({ streamPrefix: name.toLowerCase(), logRetention: RetentionDays.ONE_MONTH }),
        healthCheck: role === 'api' ? { command: ['CMD-SHELL', `node -e "fetch('http://127.0.0.1:${CONTAINER_PORT}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`] } : undefined,
        stopTimeout: Duration.seconds(30),
      });
      return def;
    };

    this.agentService = new FargateService(this, 'AgentPlaneService', {
      cluster,
      taskDefinition: task('AgentPlane', 'api', props.agentPlane),
      desiredCount: props.agentPlane.desiredCount,
      securityGroups: [props.taskSecurityGroup],
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      cloudMapOptions: { name: AGENT_PLANE_HOST, cloudMapNamespace: namespace },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
    });
    this.workerService = new FargateService(this, 'WorkerService', {
      cluster,
      taskDefinition: task('Workers', 'workers', props.workers),
      desiredCount: props.workers.desiredCount,
      securityGroups: [props.taskSecurityGroup],
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 50,
    });

    this.alb = new ApplicationLoadBalancer(this, 'LoadBalancer', { vpc: props.vpc, internetFacing: true, securityGroup: props.albSecurityGroup, dropInvalidHeaderFields: true });
    const targets = (name: string) =>
      new ApplicationTargetGroup(this, name, {
        vpc: props.vpc,
        port: CONTAINER_PORT,
        protocol: ApplicationProtocol.HTTP,
        targetType: TargetType.IP,
        targets: [this.agentService],
        healthCheck: { path: '/readyz', healthyHttpCodes: '200', interval: Duration.seconds(10) },
        deregistrationDelay: Duration.seconds(30),
      });
    const agentTargets = targets('AgentTargets');
    this.commitTargets = targets('CommitTargets');
    const listener = this.alb.addListener('Https', {
      port: 443,
      protocol: ApplicationProtocol.HTTPS,
      certificates: [{ certificateArn: props.certificateArn }],
      sslPolicy: SslPolicy.TLS13_RES,
      defaultAction: ListenerAction.forward([agentTargets]),
    });
    listener.addAction('Commits', { priority: 10, conditions: [ListenerCondition.pathPatterns(['/agent/v1/clusters/*/files'])], action: ListenerAction.forward([this.commitTargets]) });
  }
}
