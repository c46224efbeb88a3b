import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_FUNCTIONS,
  asArray,
  type CfnResource,
  CONSUMERS,
  functionLocation,
  type Json,
  oneByPath,
  ROUTES,
  resourcesIn,
  resourcesOfType,
  SCHEDULES,
  STACK_KEYS,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

let s: Synthesized;
let topicId: string;
let alarms: [string, CfnResource][];
beforeAll(() => {
  s = shared('dev');
  [topicId] = oneByPath(s.templates.monitoring, '/Monitoring/AlarmTopic/Resource');
  alarms = resourcesOfType(s.templates.monitoring, 'AWS::CloudWatch::Alarm');
}, SYNTH_TIMEOUT);

/** How another stack imports `value` from `template`: Fn::ImportValue of the output that exports it. */
const importOf = (template: Template, value: Json) => {
  const exported = Object.values(template.toJSON().Outputs ?? {}).filter(
    (o: Json) => o.Export && JSON.stringify(o.Value) === JSON.stringify(value),
  ) as Json[];
  expect(exported, JSON.stringify(value)).toHaveLength(1);
  return { 'Fn::ImportValue': exported[0].Export.Name };
};

/** The physical name of a declared function, read from the stack that holds it (a literal, not a token). */
const physicalFunctionName = (name: string): string => {
  const { template, scope } = functionLocation(s, name);
  const [, fn] = oneByPath(template, `${scope}/Function/Resource`);
  expect(typeof fn.Properties.FunctionName, name).toBe('string');
  return fn.Properties.FunctionName;
};

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
    s.templates.monitoring.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('OpsKey') },
    });
    const [, policy] = resourcesOfType(s.templates.monitoring, 'AWS::SNS::TopicPolicy')[0] ?? [];
    const statements = policy?.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
  });

  it('receives every alarm and every recovery; all alarms live in the monitoring stack', () => {
    expect(alarms.length).toBeGreaterThan(0);
    expect(resourcesIn(s, 'AWS::CloudWatch::Alarm', STACK_KEYS)).toHaveLength(alarms.length);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('alarms', () => {
  it('fire on any API 5xx', () => {
    // The API lives in the Api stack: the alarm watches it through that stack's export of the API id.
    const [apiId] = oneByPath(s.templates.api, '/HttpApi/Resource');
    const found = alarmsOn('5xx', { ApiId: importOf(s.templates.api, { Ref: apiId }) });
    expect(found).toHaveLength(1);
    expect(found[0]?.[1].Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('watch the errors of every function, including scheduled ones and those of every routes stack', () => {
    expect(API_FUNCTIONS).toEqual(expect.arrayContaining(ROUTES.map((r) => r.name)));
    for (const name of [...API_FUNCTIONS, ...CONSUMERS]) {
      // By the function's physical name, as the function's own stack sets it.
      const found = alarmsOn('Errors', { FunctionName: physicalFunctionName(name) });
      expect(found, name).toHaveLength(1);
      expect(found[0]?.[1].Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Threshold: 1,
      });
    }
    for (const schedule of SCHEDULES) {
      const [[, errors] = []] = alarmsOn('Errors', { FunctionName: physicalFunctionName(schedule.target) });
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
    for (const [id, fn] of resourcesIn(s, 'AWS::Lambda::Function', STACK_KEYS)) {
      expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
    }
  });

  it('fire as soon as a DLQ holds a message', () => {
    for (const target of CONSUMERS) {
      // By the queue's physical name, as the Events stack sets it.
      const [, queue] = oneByPath(s.templates.events, `/Consumers/${target}/DeadLetterQueue/Resource`);
      expect(typeof queue.Properties.QueueName, target).toBe('string');
      const found = alarmsOn('ApproximateNumberOfMessagesVisible', { QueueName: queue.Properties.QueueName });
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
  it.each([['SweepFailures'], ['OutboxItemInvalid'], ['AuditWriteFailed'], ['DueWorkFailed']])(
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

  it('fire when due work runs more than 5 minutes late for 15 minutes (the workers fall behind)', () => {
    const found = alarmsOn('DueWorkLagSeconds', { service: 'patient-messaging' });
    expect(found).toHaveLength(1);
    expect(found[0]?.[1].Properties).toMatchObject({
      Namespace: 'PatientMessaging',
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('dashboard', () => {
  it('shows API traffic, latency and 5xx, Lambda errors, table capacity, DLQ depth and the business metrics', () => {
    const dashboards = resourcesIn(s, 'AWS::CloudWatch::Dashboard', STACK_KEYS);
    expect(dashboards, 'one dashboard for the stage').toHaveLength(1);
    const [, dashboard] = resourcesOfType(s.templates.monitoring, 'AWS::CloudWatch::Dashboard')[0] ?? [];
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

describe('the transactional outbox', () => {
  it('alarms when the outbox publisher reads the stream a minute behind, and on invalid outbox items', () => {
    const s = shared('dev');
    const alarms = Object.values(s.templates.monitoring.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: { MetricName?: string; Dimensions?: Array<{ Value: unknown }>; Threshold?: number };
    }>;
    // One iterator-age alarm per stream function (the outbox publisher, the audit shipper); this one is the publisher's.
    const allIteratorAge = alarms.filter((a) => a.Properties.MetricName === 'IteratorAge');
    expect(allIteratorAge).toHaveLength(2);
    const iteratorAge = allIteratorAge.filter((a) =>
      JSON.stringify(a.Properties.Dimensions).includes('outbox-publisher'),
    );
    expect(iteratorAge).toHaveLength(1);
    expect(iteratorAge[0]?.Properties.Threshold).toBe(60_000);
    expect(JSON.stringify(iteratorAge[0]?.Properties.Dimensions)).toContain('outbox-publisher');
    expect(alarms.some((a) => a.Properties.MetricName === 'OutboxItemInvalid')).toBe(true);
    expect(alarms.some((a) => a.Properties.MetricName === 'EventPublishFailed')).toBe(false);
  });

  it('reads the table stream filtered at the source, with bisect, retries, a record age and a DLQ', () => {
    const s = shared('dev');
    const mappings = Object.values(
      s.templates.events.findResources('AWS::Lambda::EventSourceMapping'),
    ) as Array<{
      Properties: Record<string, unknown>;
    }>;
    // The outbox publisher's and the audit shipper's (test/infra/audit-archive.test.ts); this one is the publisher's.
    expect(mappings).toHaveLength(2);
    const publisher = mappings.filter((m) =>
      JSON.stringify(m.Properties.FilterCriteria).includes('OutboxEvent'),
    );
    expect(publisher).toHaveLength(1);
    const p = publisher[0]?.Properties ?? {};
    expect(p).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
      MaximumRetryAttempts: 10,
    });
    const patterns = (p.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters.map((f) =>
      JSON.parse(f.Pattern),
    );
    // Only new outbox items reach the publisher: never a message item (and its text); and the TTL's
    // deletions of attachment items, keys only (test/infra/attachments.test.ts).
    expect(patterns).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['OutboxEvent'] } } } },
      {
        eventName: ['REMOVE'],
        userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
        dynamodb: { Keys: { pk: { S: [{ prefix: 'ATTACH#' }] }, sk: { S: ['ATTACHMENT'] } } },
      },
    ]);
    const table = Object.values(s.templates.stateful.findResources('AWS::DynamoDB::Table')).find(
      (t) => (t as { Properties: { TableName?: string } }).Properties.TableName === 'patient-messaging-dev',
    ) as { Properties: { StreamSpecification?: unknown } };
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });
});
