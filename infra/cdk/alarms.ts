import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpCodeTarget, type ApplicationLoadBalancer, type ApplicationTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The namespace of the metrics the processes publish (embedded metric format, see infra/cloud-metrics.ts). */
export const METRIC_NAMESPACE = 'Harbormaster';

/**
 * What pages someone: the API's and the agent plane's 5xx rate, commit p99 as the load
 * balancer sees it (commits have their own target group), jobs that exhausted their retries,
 * and sequencer lease churn (leaders changing hands: crashes, stalls, a store in trouble).
 */
export class ControlPlaneAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: { region: string; httpApi: HttpApi; alb: ApplicationLoadBalancer; commitTargets: ApplicationTargetGroup }) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: `Harbormaster alarms (${props.region})` });
    const action = new SnsAction(this.topic);
    const five = Duration.minutes(5);
    const percent = (errors: IMetric, requests: IMetric) =>
      new MathExpression({ expression: 'IF(requests > 0, 100 * errors / requests, 0)', usingMetrics: { errors, requests }, period: five });
    const alarm = (name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1, datapointsToAlarm = evaluationPeriods) => {
      const a = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      return a;
    };

    alarm('Api5xxRate', percent(props.httpApi.metricServerError({ period: five }), props.httpApi.metricCount({ period: five })), 1, 'Customer/admin API: more than 1% of requests answered 5xx over 5 minutes');
    alarm(
      'AgentPlane5xxRate',
      percent(props.alb.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: five }), props.alb.metrics.requestCount({ period: five })),
      1,
      'Agent plane: more than 1% of requests answered 5xx over 5 minutes',
    );
    alarm(
      'CommitLatencyP99',
      props.commitTargets.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1) }),
      0.25,
      'File commits: p99 above 250 ms in 3 of the last 5 minutes',
      5,
      3,
    );
    const custom = (metricName: string) => new Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { Region: props.region }, statistic: 'Sum', period: five });
    alarm('QueueJobsFailed', custom('QueueJobsFailed'), 0, 'Background jobs exhausted their retries (see /admin/queues/ui)');
    alarm('LeaseTakeovers', custom('LeaseTakeovers'), 20, 'Sequencer leases changed hands more than 20 times in 5 minutes');
  }
}
