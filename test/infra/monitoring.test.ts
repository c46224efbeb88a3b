import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asArray,
  type CfnResource,
  CONSUMERS,
  oneByPath,
  ROUTES,
  resourcesOfType,
  SCHEDULES,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

let s: Synthesized;
let topicId: string;
let alarms: [string, CfnResource][];
beforeAll(() => {
  s = shared('dev');
  [topicId] = oneByPath(s.statelessTemplate, '/Monitoring/AlarmTopic/Resource');
  alarms = resourcesOfType(s.statelessTemplate, 'AWS::CloudWatch::Alarm');
}, SYNTH_TIMEOUT);

interface MetricQuery {
  Expression?: string;
  MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] } };
}

const alarmsOn = (metricName: string, dimension: Record<string, unknown>) =>
  alarms.filter(
    ([, a]) =>
      a.Properties.MetricName === metricName &&
      asArray(a.Properties.Dimensions ?? []).some(
        (d: { Name: string; Value: unknown }) =>
          JSON.stringify({ [d.Name]: d.Value }) === JSON.stringify(dimension),
      ),
  );

describe('alarm topic', () => {
  it('is encrypted with the ops key and only accepts TLS', () => {
    s.statelessTemplate.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('OpsKey') },
    });
    const [, policy] = resourcesOfType(s.statelessTemplate, 'AWS::SNS::TopicPolicy')[0] ?? [];
    const statements = policy?.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
  });

  it('receives every alarm and every recovery', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('alarms', () => {
  it('fire on any API 5xx', () => {
    const [apiId] = oneByPath(s.statelessTemplate, '/HttpApi/Resource');
    const found = alarmsOn('5xx', { ApiId: { Ref: apiId } });
    expect(found).toHaveLength(1);
    expect(found[0]?.[1].Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('watch the errors of every function, including scheduled ones', () => {
    const scopes = [
      ...ROUTES.map((r) => `/Routes/${r.name}`),
      ...CONSUMERS.map((t) => `/Consumers/${t}/Handler`),
    ];
    for (const scope of scopes) {
      const [functionId] = oneByPath(s.statelessTemplate, `${scope}/Function/Resource`);
      const found = alarmsOn('Errors', { FunctionName: { Ref: functionId } });
      expect(found, scope).toHaveLength(1);
      expect(found[0]?.[1].Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Threshold: 1,
      });
    }
    for (const schedule of SCHEDULES) {
      const [functionId] = oneByPath(
        s.statelessTemplate,
        `/Consumers/${schedule.target}/Handler/Function/Resource`,
      );
      const [[, errors] = []] = alarmsOn('Errors', { FunctionName: { Ref: functionId } });
      expect(errors?.Properties.AlarmDescription).toMatch(/scheduled/);
    }
  });

  it('watch Lambda throttling account-wide (no function reserves concurrency)', () => {
    const throttles = alarms.filter(([, a]) => a.Properties.MetricName === 'Throttles');
    expect(throttles).toHaveLength(1);
    expect(throttles[0]?.[1].Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 1,
    });
    expect(throttles[0]?.[1].Properties.Dimensions).toBeUndefined();
    for (const [id, fn] of resourcesOfType(s.statelessTemplate, 'AWS::Lambda::Function')) {
      expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
    }
  });

  it('fire as soon as a DLQ holds a message', () => {
    for (const target of CONSUMERS) {
      const [queueId] = oneByPath(s.statelessTemplate, `/Consumers/${target}/DeadLetterQueue/Resource`);
      const found = alarmsOn('ApproximateNumberOfMessagesVisible', {
        QueueName: { 'Fn::GetAtt': [queueId, 'QueueName'] },
      });
      expect(found, target).toHaveLength(1);
      expect(found[0]?.[1].Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Statistic: 'Maximum',
      });
    }
  });

  it('fire on DynamoDB throttling of the table or its indexes', () => {
    const throttles = alarms.filter(([, a]) =>
      (a.Properties.Metrics ?? []).some(
        (m: MetricQuery) => m.MetricStat?.Metric.MetricName === 'WriteThrottleEvents',
      ),
    );
    expect(throttles).toHaveLength(1);
    const metrics: MetricQuery[] = throttles[0]?.[1].Properties.Metrics;
    const names = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
    expect(names.every((m) => m.Namespace === 'AWS/DynamoDB')).toBe(true);
    expect(names.map((m) => m.MetricName)).toEqual(
      expect.arrayContaining(['ReadThrottleEvents', 'WriteThrottleEvents']),
    );
    expect(JSON.stringify(names)).toContain('patient-messaging-dev');
    expect(metrics.find((m) => m.Expression)?.Expression).toMatch(/^SUM\(\[FILL/);
  });
});

describe('application alarms (Powertools metrics)', () => {
  it.each([['SweepFailures'], ['EventPublishFailed'], ['AuditWriteFailed'], ['DueWorkFailed']])(
    'fire on any %s in 5 minutes',
    (metricName) => {
      const found = alarmsOn(metricName, { service: 'patient-messaging' });
      expect(found).toHaveLength(1);
      expect(found[0]?.[1].Properties).toMatchObject({
        Namespace: 'PatientMessaging',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    },
  );
});

describe('dashboard', () => {
  it('shows API traffic, latency and 5xx, Lambda errors, table capacity, DLQ depth and the business metrics', () => {
    const [, dashboard] = resourcesOfType(s.statelessTemplate, 'AWS::CloudWatch::Dashboard')[0] ?? [];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of [
      '"Count"',
      '"Latency"',
      '"5xx"',
      '"Errors"',
      'ConsumedReadCapacityUnits',
      'ConsumedWriteCapacityUnits',
      'ApproximateNumberOfMessagesVisible',
      'MessagesSent',
      'MessagesReceived',
      'NotificationSent',
      'SEARCH(',
      'Refused',
      'SweepFailures',
    ]) {
      expect(body, metric).toContain(metric.replaceAll('"', '\\"'));
    }
  });
});
