import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { ComparisonOperator, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { INDEXES } from '../shared/db/table-definition.ts';
import { APP_NAME, METRICS_NAMESPACE, SERVICE_NAME, type StageConfig } from './config.ts';
import { FIVE_MINUTES, Monitoring } from './constructs/monitoring.ts';
import type { FunctionKind } from './constructs/service-function.ts';

/** A function to watch, by its physical name (a literal: no export from the stack that holds it). */
export interface MonitoredFunction {
  readonly name: string;
  readonly kind: FunctionKind;
  readonly functionName: string;
  /** Fed by the table's stream (the outbox publisher): its iterator age is how late the events are. */
  readonly readsStream?: boolean;
}

/** A consumer's dead-letter queue, by its physical name. */
export interface MonitoredQueue {
  readonly target: string;
  readonly queueName: string;
}

export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
  /** Encrypts the alarm topic. */
  readonly opsKey: IKey;
  readonly tableName: string;
  /** The HTTP API's id, exported by the Api stack. */
  readonly apiId: string;
  readonly functions: readonly MonitoredFunction[];
  readonly deadLetterQueues: readonly MonitoredQueue[];
}

/**
 * Every alarm and the one ops dashboard of a stage, over the function stacks: one place to look, and
 * their 60-odd alarms stay out of the function stacks' resource budget. It watches metrics by name, so it
 * depends on the stacks it watches only through the deploy order (and the API id).
 */
export class MonitoringStack extends Stack {
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const m = new Monitoring(this, 'Monitoring', {
      namePrefix: `${APP_NAME}-${config.stage}`,
      encryptionKey: props.opsKey,
    });
    this.monitoring = m;
    const api = HttpApi.fromHttpApiAttributes(this, 'HttpApi', { httpApiId: props.apiId });
    const table = Table.fromTableName(this, 'Table', props.tableName);
    const fiveMinuteSum = { period: FIVE_MINUTES, statistic: 'Sum' } as const;
    const functionErrors = (fn: MonitoredFunction, label?: string) =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensionsMap: { FunctionName: fn.functionName },
        ...fiveMinuteSum,
        ...(label && { label }),
      });
    const queueDepth = (queue: MonitoredQueue, label?: string) =>
      new Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: queue.queueName },
        period: Duration.minutes(1),
        statistic: 'Maximum',
        ...(label && { label }),
      });

    m.alarm('api-5xx', {
      metric: api.metricServerError(fiveMinuteSum),
      description: 'The HTTP API answered at least one 5xx in 5 minutes (a handler crashed or timed out).',
    });

    for (const fn of props.functions) {
      m.alarm(`${fn.name}-errors`, {
        metric: functionErrors(fn),
        description:
          fn.kind === 'consumer'
            ? `Consumer/scheduled function ${fn.name} failed (it will be retried; after that the event goes to its DLQ).`
            : `Function ${fn.name} threw (unhandled error or timeout).`,
      });
    }
    for (const fn of props.functions.filter((f) => f.readsStream)) {
      m.alarm(`${fn.name}-iterator-age`, {
        metric: new Metric({
          namespace: 'AWS/Lambda',
          metricName: 'IteratorAge',
          dimensionsMap: { FunctionName: fn.functionName },
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: OUTBOX_DELAY_ALARM_MS,
        evaluationPeriods: 5,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description:
          `${fn.name} reads the table stream more than ${OUTBOX_DELAY_ALARM_MS / 1000} s behind for 5 minutes: ` +
          'committed events (patient emails, digests, automations) are delayed. Look at its errors and DLQ.',
      });
    }
    // No function reserves concurrency, so a throttle means the account's concurrency is exhausted: one
    // account-wide alarm is the right signal (a stage owns its account), not one per function.
    m.alarm('lambda-throttles', {
      metric: lambda.Function.metricAllThrottles(fiveMinuteSum),
      description: 'Lambda throttled invocations: the account concurrency quota is exhausted.',
    });

    const throttleMetrics: Record<string, Metric> = {
      read: table.metric('ReadThrottleEvents', fiveMinuteSum),
      write: table.metric('WriteThrottleEvents', fiveMinuteSum),
    };
    INDEXES.forEach((index, i) => {
      throttleMetrics[`gsi${i}`] = new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: 'ReadThrottleEvents',
        dimensionsMap: { TableName: props.tableName, GlobalSecondaryIndexName: index.name },
        ...fiveMinuteSum,
      });
    });
    const tableThrottles = new MathExpression({
      label: 'Throttled requests (table and GSIs)',
      expression: `SUM([${Object.keys(throttleMetrics)
        .map((k) => `FILL(${k}, 0)`)
        .join(', ')}])`,
      usingMetrics: throttleMetrics,
      period: FIVE_MINUTES,
    });
    m.alarm('table-throttles', {
      metric: tableThrottles,
      description: 'DynamoDB throttled reads or writes on the table or a GSI.',
    });

    for (const queue of props.deadLetterQueues) {
      m.alarm(`${queue.target}-dlq-depth`, {
        metric: queueDepth(queue),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `Events for ${queue.target} could not be processed and wait in its DLQ: inspect, fix, redrive.`,
      });
    }

    // Application metrics (Powertools EMF, namespace PatientMessaging, default dimension `service`).
    const appMetric = (metricName: string, label?: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        ...fiveMinuteSum,
        ...(label && { label }),
      });
    for (const [id, metricName, description] of APP_ALARMS) {
      m.alarm(id, { metric: appMetric(metricName), description });
    }
    // Due work is claimed within a minute of its time when the shards keep up; a lag that stays high means
    // the workers do not (docs/adr/0005-due-work-scale-out.md: raise DUE_WORK_SHARDS, look at throttles).
    m.alarm('due-work-lag', {
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'DueWorkLagSeconds',
        dimensionsMap: { service: SERVICE_NAME },
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
      threshold: DUE_WORK_LAG_ALARM_SECONDS,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `Due work (automations, deferred messages, watchdogs) ran more than ${DUE_WORK_LAG_ALARM_SECONDS / 60} min ` +
        'late for 15 minutes: the due-work workers do not keep up. See the runbook, "Due work falls behind".',
    });

    // Dashboard
    m.addRow(
      m.graph('API requests', [api.metricCount(fiveMinuteSum)]),
      m.graph(
        'API latency (ms)',
        ['p50', 'p90', 'p99'].map((statistic) => api.metricLatency({ period: FIVE_MINUTES, statistic })),
      ),
    );
    m.addRow(
      m.graph('API 4xx / 5xx', [api.metricClientError(fiveMinuteSum), api.metricServerError(fiveMinuteSum)]),
      m.graph(
        'Lambda errors (right: throttles, all functions)',
        props.functions.map((fn) => functionErrors(fn, fn.name)),
        [lambda.Function.metricAllThrottles({ ...fiveMinuteSum, label: 'throttles' })],
      ),
    );
    m.addRow(
      m.graph(
        'Table consumed capacity',
        [
          table.metricConsumedReadCapacityUnits(fiveMinuteSum),
          table.metricConsumedWriteCapacityUnits(fiveMinuteSum),
        ],
        [tableThrottles],
      ),
      m.graph(
        'DLQ depth',
        props.deadLetterQueues.map((queue) => queueDepth(queue, queue.target)),
      ),
    );
    m.addRow(
      m.graph(
        'Messages and emails',
        [
          appMetric('MessagesSent', 'messages sent (practitioners)'),
          appMetric('MessagesReceived', 'messages received (patients)'),
        ],
        [appMetric('NotificationSent', 'emails sent'), appMetric('IdempotentReplay', 'idempotent replays')],
      ),
      m.graph('Refusals by code (4xx answered by the functions)', [
        new MathExpression({
          label: '',
          expression: `SEARCH('{${METRICS_NAMESPACE},code,service} MetricName="Refused"', 'Sum', 300)`,
          period: FIVE_MINUTES,
        }),
      ]),
    );
    m.addRow(
      m.graph(
        'Failures the alarms watch',
        APP_ALARMS.map(([, metricName]) => appMetric(metricName, metricName)),
      ),
      m.graph('Notifications sweep', [appMetric('SweepItemsRead'), appMetric('SweepEmailsSent')]),
    );
    m.addAlarmStatus();

    new CfnOutput(this, 'AlarmTopicArn', { value: m.topic.topicArn });
  }
}

/** Due work runs within a minute or two of its time (one tick, then a worker); 5 minutes late is a backlog. */
const DUE_WORK_LAG_ALARM_SECONDS = 300;

/** Events should leave the outbox within seconds; a minute behind means the publisher is failing or throttled. */
const OUTBOX_DELAY_ALARM_MS = 60_000;

const APP_ALARMS: Array<[id: string, metricName: string, description: string]> = [
  [
    'sweep-failures',
    'SweepFailures',
    'The untreated sweep could not send some notifications (their claims were released; the run is retried). ' +
      'Look for "Sweep could not process a practitioner" in the untreated-sweep logs.',
  ],
  [
    'notification-claims-expired',
    'NotificationClaimExpired',
    'An email claim outlived its lease: the process sending it died between the claim and SES (or before ' +
      'confirming), and the email was sent again by a retry or the sweep. Frequent: look at the notify-* errors.',
  ],
  [
    'counter-drift',
    'CounterFloorFailed',
    'A change would have taken a counter below zero: the counter had drifted from its truth. The change ' +
      'was committed without that delta and the counter marked; counters-reconcile recounts it within 5 ' +
      'minutes. Frequent: a writer skips a counter update — see "Counters drifted below a change" logs.',
  ],
  [
    'outbox-invalid-items',
    'OutboxItemInvalid',
    'The outbox publisher met a stream record that is not a valid outbox item and skipped it (an event was ' +
      'not published). See "not a valid outbox item" in the outbox-publisher logs.',
  ],
  [
    'audit-write-failures',
    'AuditWriteFailed',
    'Audit entries written after a change (practitioner-level changes, emails sent) failed: the change ' +
      'happened without its entry. The log line "Audit entry could not be written" names subject and action.',
  ],
  [
    'due-work-failures',
    'DueWorkFailed',
    'Deferred work (automations, scheduled sends) was given up or refused; see "Due work failed" logs and ' +
      'the DUE#<workId> items (dueState, outcomeReason).',
  ],
  [
    'audit-entry-changed',
    'AuditEntryChanged',
    'An AUDIT# item was modified or deleted in the table (not by its TTL): tampering or a bug in a function ' +
      'holding Put on AUDIT#. The shipped copy in the Object Lock bucket is the reference: run npm run ' +
      'audit:verify (docs/runbook.md) and see "An audit entry was changed" in the audit-shipper logs.',
  ],
];
