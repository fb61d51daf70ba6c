import { Duration } from 'aws-cdk-lib';
import { HttpApi, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The module and export API Gateway invokes (infra/lambda.ts, bundled to index.mjs). */
export const LAMBDA_HANDLER = 'index.handler';

/**
 * The customer and admin API: infra/lambda.ts in a Lambda function (in the VPC, to reach Redis
 * and the agent plane) behind an HTTP API whose every route goes to it.
 */
export class ApiFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly httpApi: HttpApi;

  constructor(
    scope: Construct,
    id: string,
    props: { assetDir: string; vpc: IVpc; securityGroup: ISecurityGroup; environment: Record<string, string>; envKey: IKey; memoryMiB: number; timeoutSeconds: number },
  ) {
    super(scope, id);
    this.fn = new LambdaFunction(this, 'Function', {
      description: 'Harbormaster customer and admin API (infra/lambda.ts)',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: LAMBDA_HANDLER,
      code: Code.fromAsset(props.assetDir),
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSeconds),
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      environmentEncryption: props.envKey,
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH }),
    });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Harbormaster /v1 (customers) and /admin/v1 (staff)',
      defaultIntegration: new HttpLambdaIntegration('Api', this.fn),
    });
  }
}
export type { IHttpApi };
