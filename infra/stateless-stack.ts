import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ComparisonOperator, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTIONS } from '../functions/catalog.ts';
import { DEFAULT_BUS_NAME, ENV } from '../shared/config.ts';
import { IDEMPOTENCY_TABLE, INDEXES } from '../shared/db/table-definition.ts';
import { type FunctionDeclaration, routeKey } from '../shared/function-model/declaration.ts';
import {
  permissionsFor,
  type ServiceResources,
  serviceResources,
} from '../shared/function-model/permissions.ts';
import { eventRules, httpRoutes, schedules as schedulesOf } from '../shared/function-model/triggers.ts';
import { APP_NAME, METRICS_NAMESPACE, SERVICE_NAME, type StageConfig } from './config.ts';
import { FIVE_MINUTES, Monitoring } from './constructs/monitoring.ts';
import { ServiceFunction } from './constructs/service-function.ts';
import { acknowledge, NAG } from './nag.ts';

/** The stateful resources this stack builds on (see StatefulStack). */
export interface StatefulResources {
  readonly tableName: string;
  readonly dataKey: IKey;
  readonly opsKey: IKey;
  readonly bus: IEventBus;
  readonly userPool: IUserPool;
  readonly userPoolClient: IUserPoolClient;
  readonly configurationSetName: string;
  readonly senderAddress: string;
}

export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulResources;
  /** The declared functions (default: functions/catalog.ts): each becomes a Lambda, its trigger and its grants. */
  readonly functions?: readonly FunctionDeclaration[];
}

/**
 * EventBridge delivery to a consumer: retried for up to two hours, then parked in the consumer's DLQ.
 * The same policy for event rules and schedules.
 */
export const TARGET_RETRY = { maxEventAge: Duration.hours(2), retryAttempts: 10 } as const;

/** An event or scheduled function and the DLQ shared by its rule target and its async invocations. */
export interface Consumer {
  readonly handler: ServiceFunction;
  readonly deadLetterQueue: Queue;
}

/** Functions, HTTP API, event rules, schedules, alarms and dashboard: everything that can be redeployed freely. */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly routeFunctions = new Map<string, ServiceFunction>();
  readonly consumers = new Map<string, Consumer>();
  readonly monitoring: Monitoring;
  private readonly table: ITable;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const functions = props.functions ?? FUNCTIONS;
    const routes = httpRoutes(functions);
    const rules = eventRules(functions);
    const schedules = schedulesOf(functions);
    assertUniqueNames(functions);

    // Imported by name (not by a cross-stack reference) so grant ARNs are known at synth time and the
    // stateful stack never holds an export that blocks its updates.
    this.table = Table.fromTableAttributes(this, 'Table', {
      tableName: stateful.tableName,
      encryptionKey: stateful.dataKey,
      globalIndexes: INDEXES.map((index) => index.name),
    });
    // Every name is known at synth time, so the grants' ARNs are literal but for the pseudo parameters.
    const resources = serviceResources({
      partition: this.partition,
      region: this.region,
      accountId: this.account,
      tableName: stateful.tableName,
      idempotencyTableName: IDEMPOTENCY_TABLE.nameFor(stateful.tableName),
      busName: DEFAULT_BUS_NAME,
      senderAddress: stateful.senderAddress,
      configurationSetName: stateful.configurationSetName,
    });
    const namePrefix = `${APP_NAME}-${config.stage}`;
    this.monitoring = new Monitoring(this, 'Monitoring', { namePrefix, encryptionKey: stateful.opsKey });

    const environment: Record<string, string> = {
      [ENV.tableName]: stateful.tableName,
      [ENV.eventBusName]: stateful.bus.eventBusName,
      [ENV.sesFromAddress]: stateful.senderAddress,
      [ENV.sesConfigurationSet]: stateful.configurationSetName,
      [ENV.appBaseUrl]: config.appBaseUrl,
      [ENV.idempotencyTableName]: IDEMPOTENCY_TABLE.nameFor(stateful.tableName),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // The code already never logs events nor traces responses (they carry health data); so does the config.
      POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
    };
    const functionDefaults = {
      environment,
      logLevel: config.logLevel,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
      logEncryptionKey: stateful.opsKey,
    };

    // --- HTTP functions: one per route, grants from its declaration ------------------------------------
    const routesScope = new Construct(this, 'Routes');
    for (const route of routes) {
      const fn = new ServiceFunction(routesScope, route.name, {
        ...functionDefaults,
        name: route.name,
        kind: 'api',
      });
      this.grant(fn, route, resources, stateful);
      this.routeFunctions.set(route.name, fn);
    }

    // --- event consumers and scheduled jobs -----------------------------------------------------------
    const consumersScope = new Construct(this, 'Consumers');
    for (const declaration of functions.filter((d) => d.trigger !== 'http')) {
      const target = declaration.name;
      const scope = new Construct(consumersScope, target);
      const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: stateful.opsKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: config.removalPolicy,
      });
      acknowledge(
        deadLetterQueue,
        `This queue is itself the dead-letter queue of "${target}" (its EventBridge targets and its asynchronous ` +
          'Lambda invocations); a DLQ of a DLQ would only move the problem. Its depth is alarmed.',
        ...NAG.sqsIsDlq,
      );
      const handler = new ServiceFunction(scope, 'Handler', {
        ...functionDefaults,
        name: target,
        kind: 'consumer',
        deadLetterQueue,
      });
      this.grant(handler, declaration, resources, stateful);
      // Lambda puts failed asynchronous invocations in the KMS-encrypted DLQ (sqs:SendMessage is added by CDK).
      stateful.opsKey.grant(handler.function, 'kms:GenerateDataKey', 'kms:Decrypt');
      this.consumers.set(target, { handler, deadLetterQueue });
    }

    const consumerTarget = (name: string) => {
      const consumer = this.consumers.get(name);
      if (!consumer) throw new Error(`No consumer function for target "${name}"`);
      return new LambdaFunction(consumer.handler.function, {
        deadLetterQueue: consumer.deadLetterQueue,
        ...TARGET_RETRY,
      });
    };
    const rulesScope = new Construct(this, 'Rules');
    for (const rule of rules) {
      new Rule(rulesScope, rule.name, {
        description: `${rule.name} → ${rule.target}`,
        eventBus: stateful.bus,
        eventPattern: { source: [...rule.pattern.source], detailType: [...rule.pattern['detail-type']] },
        targets: [consumerTarget(rule.target)],
      });
    }
    // Scheduled rules only exist on the account's default bus.
    const schedulesScope = new Construct(this, 'Schedules');
    for (const schedule of schedules) {
      new Rule(schedulesScope, schedule.name, {
        description: `${schedule.name} every ${schedule.everyMinutes} min → ${schedule.target}`,
        schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        targets: [consumerTarget(schedule.target)],
      });
    }

    // --- HTTP API ---------------------------------------------------------------------------------------
    const issuer = `https://cognito-idp.${this.region}.amazonaws.com/${stateful.userPool.userPoolId}`;
    const authorizer = new HttpJwtAuthorizer('CognitoJwtAuthorizer', issuer, {
      authorizerName: 'cognito-jwt',
      jwtAudience: [stateful.userPoolClient.userPoolClientId],
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${SERVICE_NAME}-${config.stage}`,
      description: 'Patient messaging API (v1)',
      // Also the default for any route added later: nothing is reachable without a Cognito JWT.
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });
    for (const route of routes) {
      const fn = this.routeFunctions.get(route.name);
      if (!fn) throw new Error(`No function for route ${route.name}`);
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.name}-integration`, fn.function),
        authorizer,
      });
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetention,
      encryptionKey: stateful.opsKey,
      removalPolicy: config.removalPolicy,
    });
    this.apiStage = new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttle.rateLimit, burstLimit: config.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // --- alarms and dashboard ---------------------------------------------------------------------------
    this.addMonitoring();

    // --- outputs ----------------------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url, description: 'HTTP API base URL' });
    new CfnOutput(this, 'UserPoolId', { value: stateful.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: stateful.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: stateful.tableName });
    new CfnOutput(this, 'EventBusName', { value: stateful.bus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }

  /**
   * The function's data-plane grants are exactly its declaration's statements (shared/function-model/permissions.ts,
   * the ones the local stack enforces); only the KMS grants the table's and the idempotency table's CMK need
   * are added here.
   */
  private grant(
    fn: ServiceFunction,
    declaration: FunctionDeclaration,
    resources: ServiceResources,
    stateful: StatefulResources,
  ): void {
    const statements = permissionsFor(declaration, resources);
    for (const statement of statements) {
      fn.function.addToRolePolicy(
        new PolicyStatement({
          sid: statement.sid,
          effect: statement.effect === 'Allow' ? Effect.ALLOW : Effect.DENY,
          actions: [...statement.actions],
          resources: [...statement.resources],
          ...(statement.conditions && {
            conditions: Object.fromEntries(
              Object.entries(statement.conditions).map(([operator, keys]) => [
                operator,
                Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, [...values]])),
              ]),
            ),
          }),
        }),
      );
    }
    const table = declaration.access.table;
    const writes = (table?.write ?? []).length > 0 || table?.appendsAudit === true;
    const reads = (table?.read ?? []).length > 0 || (table?.indexes ?? []).length > 0;
    const idempotent = declaration.trigger === 'http' && declaration.idempotent === true;
    // DynamoDB encrypts with the data key on the caller's behalf: decrypt to read, generate data keys to write.
    if (writes || idempotent) {
      stateful.dataKey.grant(
        fn.function,
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey*',
        'kms:ReEncrypt*',
      );
      acknowledge(
        fn.role,
        'DynamoDB with a customer-managed key: kms:GenerateDataKey*/kms:ReEncrypt* are limited to that single key ' +
          'ARN (the data key), as CDK grants them for tables encrypted with it.',
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      );
    } else if (reads) {
      stateful.dataKey.grant(fn.function, 'kms:Decrypt', 'kms:DescribeKey');
    }
  }

  private addMonitoring(): void {
    const m = this.monitoring;
    const fiveMinuteSum = { period: FIVE_MINUTES, statistic: 'Sum' } as const;

    m.alarm('api-5xx', {
      metric: this.api.metricServerError(fiveMinuteSum),
      description: 'The HTTP API answered at least one 5xx in 5 minutes (a handler crashed or timed out).',
    });

    const allFunctions = [
      ...this.routeFunctions.entries(),
      ...[...this.consumers.entries()].map(([name, c]) => [name, c.handler] as const),
    ];
    for (const [name, fn] of allFunctions) {
      m.alarm(`${name}-errors`, {
        metric: fn.function.metricErrors(fiveMinuteSum),
        description:
          fn.kind === 'consumer'
            ? `Consumer/scheduled function ${name} failed (it will be retried; after that the event goes to its DLQ).`
            : `Function ${name} threw (unhandled error or timeout).`,
      });
    }
    // No function reserves concurrency, so a throttle means the account's concurrency is exhausted: one
    // account-wide alarm is the right signal (a stage owns its account) and keeps the stack far from the
    // 500-resource limit that one throttle alarm per function would approach.
    m.alarm('lambda-throttles', {
      metric: lambda.Function.metricAllThrottles(fiveMinuteSum),
      description: 'Lambda throttled invocations: the account concurrency quota is exhausted.',
    });

    const throttleMetrics: Record<string, Metric> = {
      read: this.table.metric('ReadThrottleEvents', fiveMinuteSum),
      write: this.table.metric('WriteThrottleEvents', fiveMinuteSum),
    };
    INDEXES.forEach((index, i) => {
      throttleMetrics[`gsi${i}`] = new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: 'ReadThrottleEvents',
        dimensionsMap: { TableName: this.table.tableName, GlobalSecondaryIndexName: index.name },
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

    for (const [name, consumer] of this.consumers) {
      m.alarm(`${name}-dlq-depth`, {
        metric: consumer.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `Events for ${name} could not be processed and wait in its DLQ: inspect, fix, redrive.`,
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
    const APP_ALARMS: Array<[id: string, metricName: string, description: string]> = [
      [
        'sweep-failures',
        'SweepFailures',
        'The untreated sweep could not send some notifications (their claims were released; the run is retried). ' +
          'Look for "Sweep could not process a practitioner" in the untreated-sweep logs.',
      ],
      [
        'event-publish-failures',
        'EventPublishFailed',
        'Events could not be published after their change committed: consumers (notifications, index) missed ' +
          'them. See "Event publication failed after commit" in the route logs.',
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
    ];
    for (const [id, metricName, description] of APP_ALARMS) {
      m.alarm(id, { metric: appMetric(metricName), description });
    }

    // Dashboard
    m.addRow(
      m.graph('API requests', [this.api.metricCount(fiveMinuteSum)]),
      m.graph(
        'API latency (ms)',
        ['p50', 'p90', 'p99'].map((statistic) => this.api.metricLatency({ period: FIVE_MINUTES, statistic })),
      ),
    );
    m.addRow(
      m.graph('API 4xx / 5xx', [
        this.api.metricClientError(fiveMinuteSum),
        this.api.metricServerError(fiveMinuteSum),
      ]),
      m.graph(
        'Lambda errors (right: throttles, all functions)',
        allFunctions.map(([name, fn]) => fn.function.metricErrors({ ...fiveMinuteSum, label: name })),
        [lambda.Function.metricAllThrottles({ ...fiveMinuteSum, label: 'throttles' })],
      ),
    );
    m.addRow(
      m.graph(
        'Table consumed capacity',
        [
          this.table.metricConsumedReadCapacityUnits(fiveMinuteSum),
          this.table.metricConsumedWriteCapacityUnits(fiveMinuteSum),
        ],
        [tableThrottles],
      ),
      m.graph(
        'DLQ depth',
        [...this.consumers.entries()].map(([name, c]) =>
          c.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
            label: name,
          }),
        ),
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
  }
}

/** Access log line: who called what, the outcome and the latency. Never bodies or headers. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  responseLength: '$context.responseLength',
  protocol: '$context.protocol',
  sourceIp: '$context.identity.sourceIp',
  principal: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
} as const;

const assertUniqueNames = (functions: readonly FunctionDeclaration[]): void => {
  const duplicates = (values: string[]) => values.filter((v, i) => values.indexOf(v) !== i);
  const problems = [
    ...duplicates(functions.map((f) => f.name)).map((n) => `function name "${n}" is used twice`),
    ...duplicates(httpRoutes(functions).map(routeKey)).map((k) => `route key "${k}" is used twice`),
    ...duplicates([
      ...eventRules(functions).map((r) => r.name),
      ...schedulesOf(functions).map((s) => s.name),
    ]).map((n) => `rule/schedule name "${n}" is used twice`),
  ];
  if (problems.length > 0) throw new Error(`Invalid function declarations: ${problems.join('; ')}`);
};
