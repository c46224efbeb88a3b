/**
 * Replays a stream function's dead-letter queue (docs/runbook.md, "Replay a stream function's
 * dead-letter queue"): each message locates a batch in the table's stream; its records are read back,
 * filtered as the function's event source mapping does, and the function is invoked with them.
 *
 *   npm run stream:redrive -- --function outbox-publisher --stage prod --dry-run
 *   npm run stream:redrive -- --function outbox-publisher --stage prod
 *   npm run stream:redrive -- --function audit-shipper --stage prod --from-file dlq-messages.json
 *   npm run stream:redrive -- --function outbox-publisher --stage prod --from-item 'OUTBOX#<id>/EVENT'
 *   npm run stream:redrive -- --function audit-shipper --local --from-file dlq.json
 *
 * --stage: the queue `patient-messaging-<stage>-<function>-dlq` and the function
 * `patient-messaging-<stage>-<function>` (infra/service-functions.ts), the stream each message names, the
 * table TABLE_NAME (default `patient-messaging-<stage>`), in AWS_REGION (default eu-west-3), with the
 * shell's credentials. --local: `npm start`'s DynamoDB Local and the handler run in this process against
 * its emulators (npm start's ports: DYNAMODB_PORT, BUS_PORT, S3_PORT, SES_PORT; TABLE_NAME); messages
 * from a file only, SQS being not emulated (GET /local/stream-dead-letters gives the local stack's).
 *
 * A message is deleted once its records went through the function, or none passed its filters; never
 * from a file, never on --dry-run; an aged-out one only with --discard-aged-out. One JSON line per
 * message (counts, sequence numbers, keys: never an item's content), then a summary; exit code 1 when
 * something is left to deal with.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FUNCTIONS } from '../functions/catalog.ts';
import { LOCAL_REGION } from '../local/constants.ts';
import { applyLambdaEnvironment, lambdaEnvironment } from '../local/lambda-env.ts';
import { DEFAULT_BUS_NAME, LOCAL_ATTACHMENT_BUCKET, LOCAL_EXPORT_BUCKET } from '../shared/config.ts';
import { IDEMPOTENCY_TABLE } from '../shared/db/table-definition.ts';
import { auditBucketNameFor } from '../shared/function-model/permissions.ts';
import { streamConsumers } from '../shared/function-model/triggers.ts';
import {
  type DeadLetterSource,
  fileDeadLetters,
  type Invoke,
  type ItemKey,
  inProcessInvoker,
  parseItemKey,
  type RedriveReport,
  type RedriveResult,
  redriveItems,
  redriveQueue,
} from './stream-redriving.ts';

const usage = (problem: string): never => {
  process.stderr.write(
    `${problem}\nusage: npm run stream:redrive -- --function <${streamConsumers(FUNCTIONS)
      .map((t) => t.name)
      .join('|')}> (--stage <dev|prod> | --local)\n` +
      '         [--from-file <messages.json> | --from-item <pk>/<sk> …] [--dry-run] [--discard-aged-out]\n',
  );
  return process.exit(2);
};

const { values } = parseArgs({
  options: {
    function: { type: 'string' },
    stage: { type: 'string' },
    local: { type: 'boolean', default: false },
    'from-file': { type: 'string' },
    'from-item': { type: 'string', multiple: true },
    'dry-run': { type: 'boolean', default: false },
    'discard-aged-out': { type: 'boolean', default: false },
  },
});
const target = streamConsumers(FUNCTIONS).find((t) => t.name === values.function);
if (!target) usage(`--function must name a stream function, not "${values.function ?? ''}"`);
const { name: functionName, settings } = target as NonNullable<typeof target>;
if (values.local === (values.stage !== undefined)) usage('Give either --stage <dev|prod> or --local');
if (values.stage !== undefined && values.stage !== 'dev' && values.stage !== 'prod') {
  usage(`--stage must be dev or prod, not "${values.stage}"`);
}
const itemKeys = (values['from-item'] ?? []).map(
  (text) => parseItemKey(text) ?? usage(`Not a <pk>/<sk>: ${text}`),
);
if (itemKeys.length > 0 && values['from-file']) usage('--from-item and --from-file do not go together');
if (values.local && itemKeys.length === 0 && !values['from-file']) {
  usage('--local reads its messages from a file (--from-file): SQS is not emulated');
}

interface Target {
  region: string;
  tableName: string;
  dynamoDbEndpoint?: string;
  invoke: Invoke;
  /** The function's DLQ, when messages come from it. */
  queue?: () => Promise<DeadLetterSource>;
}

const port = (name: string, fallback: number) => process.env[name] || String(fallback);

/** `npm start`'s emulators, and the handler in this process pointed at them. */
const localTarget = async (): Promise<Target> => {
  const tableName = process.env.TABLE_NAME || 'patient-messaging-local';
  const dynamoDbEndpoint = process.env.DYNAMODB_ENDPOINT || `http://127.0.0.1:${port('DYNAMODB_PORT', 8000)}`;
  applyLambdaEnvironment(
    lambdaEnvironment({
      tableName,
      eventBusName: DEFAULT_BUS_NAME,
      dynamoDbEndpoint,
      eventBridgeEndpoint: process.env.EVENTBRIDGE_ENDPOINT || `http://127.0.0.1:${port('BUS_PORT', 4010)}`,
      sesEndpoint: process.env.SES_ENDPOINT || `http://127.0.0.1:${port('SES_PORT', 8005)}`,
      sesFromAddress: 'no-reply@patient-messaging.local',
      sesConfigurationSet: `${tableName}-emails`,
      appBaseUrl: `http://localhost:${port('PORT', 3000)}`,
      idempotencyTableName: IDEMPOTENCY_TABLE.nameFor(tableName),
      s3Endpoint: process.env.S3_ENDPOINT || `http://127.0.0.1:${port('S3_PORT', 4569)}`,
      auditBucketName: auditBucketNameFor(tableName),
      exportBucketName: LOCAL_EXPORT_BUCKET,
      attachmentBucketName: LOCAL_ATTACHMENT_BUCKET,
      // A stream function posts to no WebSocket and verifies no token.
      webSocketManagementEndpoint: `http://127.0.0.1:${port('WS_PORT', 3001)}/local`,
      webSocketAuthPools: {},
    }),
  );
  return { region: LOCAL_REGION, tableName, dynamoDbEndpoint, invoke: await inProcessInvoker(functionName) };
};

/** The stage's queue and deployed function, by their physical names. */
const awsTarget = async (stage: 'dev' | 'prod'): Promise<Target> => {
  // Loaded here only: the infra modules bring the CDK library, which --local does not need.
  const [{ physicalNames }, { DEFAULT_REGION, SERVICE_NAME }, { LambdaClient }, { SQSClient }, aws] =
    await Promise.all([
      import('../infra/service-functions.ts'),
      import('../infra/config.ts'),
      import('@aws-sdk/client-lambda'),
      import('@aws-sdk/client-sqs'),
      import('./stream-redrive-aws.ts'),
    ]);
  const region = process.env.AWS_REGION || DEFAULT_REGION;
  const names = physicalNames(stage);
  return {
    region,
    tableName: process.env.TABLE_NAME || `${SERVICE_NAME}-${stage}`,
    invoke: aws.lambdaInvoker(new LambdaClient({ region }), names.function(functionName)),
    queue: () => aws.sqsDeadLetters(new SQSClient({ region }), names.deadLetterQueue(functionName)),
  };
};

const env = values.local ? await localTarget() : await awsTarget(values.stage as 'dev' | 'prod');
const endpoint = env.dynamoDbEndpoint ? { endpoint: env.dynamoDbEndpoint } : {};
const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

let summary: { messages: number; deleted: number; byResult: Partial<Record<RedriveResult, number>> };
if (itemKeys.length > 0) {
  const dynamoDb = new DynamoDBClient({ region: env.region, ...endpoint });
  summary = await redriveItems(
    {
      functionName,
      settings,
      dynamoDb,
      tableName: env.tableName,
      region: env.region,
      invoke: env.invoke,
      dryRun: values['dry-run'],
    },
    itemKeys as ItemKey[],
    print,
  );
} else {
  const source = values['from-file']
    ? fileDeadLetters(readFileSync(values['from-file'], 'utf8'))
    : await (env.queue as NonNullable<Target['queue']>)();
  summary = await redriveQueue(
    {
      functionName,
      settings,
      streams: new DynamoDBStreamsClient({ region: env.region, ...endpoint }),
      invoke: env.invoke,
      dryRun: values['dry-run'],
      discardAgedOut: values['discard-aged-out'],
      // Each shard is read by the two stream functions' mappings too (5 reads/s per shard in all).
      pageDelayMs: values.local ? 0 : 250,
    },
    source,
    (line: RedriveReport) => print(line),
  );
}

const settled: RedriveResult[] = ['redriven', 'nothing-to-do', 'dry-run'];
if (values['discard-aged-out']) settled.push('aged-out');
const left = Object.entries(summary.byResult)
  .filter(([result]) => !settled.includes(result as RedriveResult))
  .reduce((sum, [, count]) => sum + (count ?? 0), 0);
print({
  function: functionName,
  target: values.local ? 'local' : values.stage,
  from: itemKeys.length > 0 ? 'table' : values['from-file'] ? 'file' : 'queue',
  dryRun: values['dry-run'],
  ...summary,
  left,
});
process.exit(left === 0 ? 0 : 1);
