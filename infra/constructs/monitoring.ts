import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface MonitoringProps {
  /** Prefix of alarm and dashboard names, e.g. PatientMessaging-prod. */
  readonly namePrefix: string;
  readonly encryptionKey: IKey;
}

export interface AlarmOptions {
  readonly metric: IMetric;
  readonly description: string;
  /** Alarm when the metric is >= threshold (default 1) over one 5-minute period. */
  readonly threshold?: number;
  readonly comparisonOperator?: ComparisonOperator;
  /** Periods the condition must hold before alarming (default 1). */
  readonly evaluationPeriods?: number;
}

/**
 * One encrypted SNS topic that every alarm notifies (subscribe the on-call address or a chat integration
 * out of band), and one dashboard. Widgets are collected while the stack is built.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.namePrefix = props.namePrefix;
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${props.namePrefix} alarms`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // The topic has a resource policy (enforceSSL), which replaces SNS's default one: allow CloudWatch
    // alarms of this account explicitly.
    const { account, region, partition } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.namePrefix });
  }

  /** An alarm that notifies the topic when it fires and when it recovers. */
  alarm(id: string, options: AlarmOptions): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.namePrefix}-${id}`,
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold ?? 1,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }

  graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
    return new GraphWidget({ title, left, right, width: 12, height: 6 });
  }

  addRow(...widgets: IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }

  /** Last row: the state of every alarm created so far. */
  addAlarmStatus(): void {
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 }),
    );
  }
}

export const FIVE_MINUTES = Duration.minutes(5);
