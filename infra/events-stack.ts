import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { EventSourceMapping, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AGENDA_SOURCE, DEFAULT_BUS_NAME } from '../shared/config.ts';
import type { FunctionDeclaration, StreamFunctionDeclaration } from '../shared/function-model/declaration.ts';
import { eventRules, resolveRule, schedules as schedulesOf } from '../shared/function-model/triggers.ts';
import type { StageConfig } from './config.ts';
import type { ServiceFunction } from './constructs/service-function.ts';
import { acknowledge, NAG } from './nag.ts';
import { declaredFunction, type FunctionResources, physicalNames } from './service-functions.ts';

export interface EventsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly resources: FunctionResources;
  /** The event and scheduled functions (functions/catalog.ts). */
  readonly consumers: readonly FunctionDeclaration[];
}

/**
 * EventBridge delivery to a consumer: retried for up to two hours, then parked in the consumer's DLQ.
 * The same policy for event rules and schedules.
 */
export const TARGET_RETRY = { maxEventAge: Duration.hours(2), retryAttempts: 10 } as const;

/**
 * Whether a consumer's DLQ may hold personal data: it receives agenda events (an AppointmentBooked carries the
 * patient's names, email and the motive). The service's own events carry ids only.
 */
export const holdsPersonalData = (declaration: FunctionDeclaration): boolean =>
  declaration.trigger === 'event' && declaration.rule.events.some((event) => event.source === AGENDA_SOURCE);

/** An event or scheduled function and the DLQ shared by its rule target and its async invocations. */
export interface Consumer {
  readonly handler: ServiceFunction;
  readonly deadLetterQueue: Queue;
  /** The DLQ's physical name (a synth-time literal, for the monitoring stack). */
  readonly queueName: string;
}

/** An EventBridge target delivering to a consumer, with its retries and its DLQ. */
export const ruleTarget = (consumer: Consumer): LambdaFunction =>
  new LambdaFunction(consumer.handler.function, {
    deadLetterQueue: consumer.deadLetterQueue,
    ...TARGET_RETRY,
  });

/**
 * One event, scheduled or stream function (construct `<scope>/<name>/Handler`) and its DLQ, shared by its rule
 * target and its asynchronous invocations. The Events stack builds all of them but the Realtime stack's notifier.
 */
export const declaredConsumer = (
  consumersScope: Construct,
  declaration: FunctionDeclaration,
  config: StageConfig,
  resources: FunctionResources,
  environment?: Readonly<Record<string, string>>,
): Consumer => {
  const target = declaration.name;
  if (declaration.trigger === 'http') throw new Error(`${target} is an HTTP function, not a consumer`);
  const scope = new Construct(consumersScope, target);
  const queueName = physicalNames(config.stage).deadLetterQueue(target);
  // A DLQ holds whole events. The agenda's carry a patient's names, email and the appointment's motive:
  // their DLQs are under the data key, like the table that keeps the same data; others under the ops key.
  const queueKey = holdsPersonalData(declaration) ? resources.dataKey : resources.opsKey;
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    queueName,
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: queueKey,
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
  const handler = declaredFunction(scope, 'Handler', {
    declaration,
    kind: 'consumer',
    config,
    resources,
    deadLetterQueue,
    ...(environment && { environment }),
  });
  // Lambda puts failed asynchronous invocations in the KMS-encrypted DLQ (sqs:SendMessage is added by CDK).
  queueKey.grant(handler.function, 'kms:GenerateDataKey', 'kms:Decrypt');
  if (declaration.trigger === 'stream') readStream(scope, handler, declaration, deadLetterQueue, resources);
  return { handler, deadLetterQueue, queueName };
};

/**
 * The asynchronous side: event consumers and scheduled jobs (construct `Consumers/<name>/Handler`), the DLQ
 * of each, the rules on the service bus and the schedules on the default bus. The bus is the stateful
 * stack's, imported by its fixed name (DEFAULT_BUS_NAME): no CloudFormation export is involved.
 */
export class EventsStack extends Stack {
  readonly consumers = new Map<string, Consumer>();

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { config, resources } = props;
    const bus = EventBus.fromEventBusName(this, 'Bus', DEFAULT_BUS_NAME);

    const consumersScope = new Construct(this, 'Consumers');
    for (const declaration of props.consumers) {
      this.consumers.set(declaration.name, declaredConsumer(consumersScope, declaration, config, resources));
    }

    const consumerTarget = (name: string) => {
      const consumer = this.consumers.get(name);
      if (!consumer) throw new Error(`No consumer function for target "${name}"`);
      return ruleTarget(consumer);
    };
    const rulesScope = new Construct(this, 'Rules');
    // AWS services (S3's "Object Created", GuardDuty's scan results) publish on the account's default bus.
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    // A rule on S3's or GuardDuty's events matches the attachments bucket only (resolveRule).
    const buckets = { attachments: resources.attachmentBucketName };
    for (const rule of eventRules(props.consumers).map((r) => resolveRule(r, buckets))) {
      new Rule(rulesScope, rule.name, {
        description: `${rule.name} → ${rule.target}`,
        eventBus: rule.bus === 'default' ? defaultBus : bus,
        eventPattern: {
          source: [...rule.pattern.source],
          detailType: [...rule.pattern['detail-type']],
          ...(rule.pattern.detail && { detail: rule.pattern.detail }),
        },
        targets: [consumerTarget(rule.target)],
      });
    }
    // Scheduled rules only exist on the account's default bus.
    const schedulesScope = new Construct(this, 'Schedules');
    for (const schedule of schedulesOf(props.consumers)) {
      new Rule(schedulesScope, schedule.name, {
        description: `${schedule.name} every ${schedule.everyMinutes} min → ${schedule.target}`,
        schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        targets: [consumerTarget(schedule.target)],
      });
    }

    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
  }
}

/**
 * The table's stream to a stream function (the outbox publisher): filtered at the source (only the
 * records its patterns match are even read by the function), in order per shard, a failed batch retried
 * from its first failed record and split in two on errors, then sent to the function's DLQ.
 */
const readStream = (
  scope: Construct,
  handler: ServiceFunction,
  declaration: StreamFunctionDeclaration,
  deadLetterQueue: Queue,
  resources: FunctionResources,
): void => {
  const settings = declaration.stream;
  new EventSourceMapping(scope, 'StreamSource', {
    target: handler.function,
    eventSourceArn: resources.tableStreamArn,
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: settings.batchSize,
    maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
    bisectBatchOnError: true,
    retryAttempts: settings.retryAttempts,
    maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
    parallelizationFactor: settings.parallelizationFactor,
    reportBatchItemFailures: true,
    onFailure: new SqsDlq(deadLetterQueue),
    filters: settings.filters.map((filter) => ({ pattern: JSON.stringify(filter) })),
  });
  acknowledge(
    handler.role,
    "dynamodb:ListStreams has no resource-level permission (the event source mapping lists the table's " +
      "streams); the stream reads themselves are limited to this table's stream ARN.",
    'AwsSolutions-IAM5[Resource::*]',
  );
  acknowledge(
    handler.role,
    'Granted by CDK for the on-failure destination: sending to the KMS-encrypted DLQ needs ' +
      'kms:GenerateDataKey*/kms:ReEncrypt* on that single key (the ops key), nothing else.',
    'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
  );
};
