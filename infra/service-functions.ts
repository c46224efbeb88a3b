import { SecretValue, Stack } from 'aws-cdk-lib';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ATTACHMENT_ENV, DEFAULT_BUS_NAME, ENV, PERSONAL_DATA_ENV } from '../shared/config.ts';
import { IDEMPOTENCY_TABLE } from '../shared/db/table-definition.ts';
import type { FunctionDeclaration, UserPoolName } from '../shared/function-model/declaration.ts';
import { permissionsFor, serviceResources } from '../shared/function-model/permissions.ts';
import {
  attachmentBucketNameFor,
  cursorSigningKeySecretName,
  exportBucketNameFor,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  type StageConfig,
  type StageName,
} from './config.ts';
import { type FunctionKind, ServiceFunction } from './constructs/service-function.ts';
import { acknowledge, nagResourceFinding } from './nag.ts';

/**
 * What the function stacks (Api, the routes stacks, Events) take from the stateful stack. Names are
 * synth-time literals (the table, the bus: DEFAULT_BUS_NAME, the SES configuration set and sender), so
 * grant ARNs need no CloudFormation export; the keys are real cross-stack references (their ARNs are only
 * known once created), exported by the stateful stack whoever uses them (see StatefulStack.pinExports).
 */
export interface FunctionResources {
  readonly tableName: string;
  /** The table's stream: a reference (its label exists once the stream does), read by the stream functions. */
  readonly tableStreamArn: string;
  /** Encrypts the table: KMS grants for the functions that read or write it. */
  readonly dataKey: IKey;
  /** Encrypts log groups and the dead-letter queues that hold no personal data. */
  readonly opsKey: IKey;
  readonly configurationSetName: string;
  readonly senderAddress: string;
  /** The patients' export bucket (SPEC 11.6), encrypted with the data key. */
  readonly exportBucketName: string;
  /** Years threads and messages are kept after their last message (the medical record). */
  readonly medicalRecordRetentionYears: number;
  /** The Object Lock bucket of the audit chain (a deterministic name: the grant ARN is built from it). */
  readonly auditBucketName: string;
  /** The WebSocket API and its stage, for the functions that post to its connections (Realtime stack only). */
  readonly webSocketApi?: { readonly apiId: string; readonly stage: string };
  /** The attachments' bucket (SPEC 11.3), encrypted with the data key. */
  readonly attachmentBucketName: string;
}

/** The Api stack also needs the user pools, one JWT authorizer each (docs/adr/0009-professional-accounts.md). */
export interface ApiResources extends FunctionResources {
  readonly userPools: Readonly<
    Record<UserPoolName, { readonly pool: IUserPool; readonly client: IUserPoolClient }>
  >;
}

const LAMBDA_NAME_MAX = 64;
const QUEUE_NAME_MAX = 80;

/**
 * Physical names of the functions and their dead-letter queues: `patient-messaging-<stage>-<name>`. Literal
 * names let the monitoring stack watch them without a CloudFormation export per function (an export that is
 * imported blocks removing, renaming or replacing what it names) and make the runbook's commands plain.
 * A stage owns its AWS account (see config.ts), so the names cannot collide.
 */
export const physicalNames = (stage: StageName) => {
  const prefix = `${SERVICE_NAME}-${stage}`;
  const checked = (name: string, max: number, what: string) => {
    if (name.length > max) throw new Error(`${what} name "${name}" is longer than ${max} characters`);
    return name;
  };
  return {
    function: (name: string) => checked(`${prefix}-${name}`, LAMBDA_NAME_MAX, 'Lambda function'),
    deadLetterQueue: (target: string) => checked(`${prefix}-${target}-dlq`, QUEUE_NAME_MAX, 'SQS queue'),
  };
};

export interface DeclaredFunctionProps {
  readonly declaration: FunctionDeclaration;
  readonly kind: FunctionKind;
  readonly config: StageConfig;
  readonly resources: FunctionResources;
  /** Consumers only: where Lambda puts an event after its asynchronous retries are exhausted. */
  readonly deadLetterQueue?: IQueue;
  /** Variables only this function needs (the Realtime stack's: REALTIME_ENV). */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * One declared function (functions/<name>/function.ts) as a Lambda: the service's environment, its physical
 * name, and exactly the grants of its declaration. Used by every function stack, so a route and a consumer
 * are built the same way wherever they live.
 */
export const declaredFunction = (
  scope: Construct,
  id: string,
  props: DeclaredFunctionProps,
): ServiceFunction => {
  const { declaration, config, resources } = props;
  const idempotencyTableName = IDEMPOTENCY_TABLE.nameFor(resources.tableName);
  const fn = new ServiceFunction(scope, id, {
    name: declaration.name,
    functionName: physicalNames(config.stage).function(declaration.name),
    kind: props.kind,
    environment: {
      [ENV.tableName]: resources.tableName,
      [ENV.eventBusName]: DEFAULT_BUS_NAME,
      [ENV.sesFromAddress]: resources.senderAddress,
      [ENV.sesConfigurationSet]: resources.configurationSetName,
      [ENV.appBaseUrl]: config.appBaseUrl,
      [ENV.idempotencyTableName]: idempotencyTableName,
      ...((declaration.access.exportFiles ?? []).length > 0 && {
        [PERSONAL_DATA_ENV.exportBucketName]: resources.exportBucketName,
      }),
      ...((declaration.access.attachmentFiles ?? []).length > 0 && {
        [ATTACHMENT_ENV.bucketName]: resources.attachmentBucketName,
      }),
      // In AWS an attachment is clean only once GuardDuty also found no threat (the checker reads this).
      ...(declaration.access.attachmentFiles?.includes('read') && {
        [ATTACHMENT_ENV.malwareScan]: 'required',
      }),
      [PERSONAL_DATA_ENV.medicalRecordRetentionYears]: String(resources.medicalRecordRetentionYears),
      [ENV.quotas]: JSON.stringify(config.quotas),
      // Resolved by CloudFormation at deploy time from the stateful stack's secret: the template holds only
      // the reference. The key protects cursor integrity, not data (shared/db/cursor.ts).
      [ENV.cursorSigningKey]: SecretValue.secretsManager(
        cursorSigningKeySecretName(config.stage),
      ).unsafeUnwrap(),
      // Only the audit shipper is told where the audit archive is (and only it may write there).
      ...(declaration.access.archivesAudit && { [ENV.auditBucketName]: resources.auditBucketName }),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // The code already never logs events nor traces responses (they carry health data); so does the config.
      POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      ...props.environment,
    },
    logLevel: config.logLevel,
    logRetention: config.logRetention,
    logRemovalPolicy: config.removalPolicy,
    logEncryptionKey: resources.opsKey,
    ...(props.deadLetterQueue && { deadLetterQueue: props.deadLetterQueue }),
  });
  grantDeclared(fn, declaration, resources, config.stage);
  return fn;
};

/**
 * The function's data-plane grants are exactly its declaration's statements (shared/function-model/permissions.ts,
 * the ones the local stack enforces); only the KMS grants the table's and the idempotency table's CMK need
 * are added here.
 */
const grantDeclared = (
  fn: ServiceFunction,
  declaration: FunctionDeclaration,
  resources: FunctionResources,
  stage: StageName,
): void => {
  const stack = Stack.of(fn);
  // Every name is known at synth time, so the grants' ARNs are literal but for the pseudo parameters.
  const arns = serviceResources({
    partition: stack.partition,
    region: stack.region,
    accountId: stack.account,
    tableName: resources.tableName,
    idempotencyTableName: IDEMPOTENCY_TABLE.nameFor(resources.tableName),
    busName: DEFAULT_BUS_NAME,
    senderAddress: resources.senderAddress,
    configurationSetName: resources.configurationSetName,
    exportBucketName: resources.exportBucketName,
    tableStreamArn: resources.tableStreamArn,
    auditBucketName: resources.auditBucketName,
    ...(resources.webSocketApi && { webSocketApi: resources.webSocketApi }),
    attachmentBucketName: resources.attachmentBucketName,
  });
  if (declaration.access.postsToConnections && !resources.webSocketApi) {
    throw new Error(`${declaration.name} posts to WebSocket connections: build it in the Realtime stack`);
  }
  for (const statement of permissionsFor(declaration, arns)) {
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
  if (declaration.access.postsToConnections) {
    acknowledge(
      fn.role,
      "execute-api:ManageConnections on the WebSocket API's own stage, any connection (`*/@connections/*`): " +
        'connection ids are only known at run time; the grant names this API and stage alone.',
      nagResourceFinding(stack, `${arns.webSocketStageArn}/*/@connections/*`),
    );
  }
  if (declaration.access.archivesAudit) {
    acknowledge(
      fn.role,
      'The audit shipper writes one object per link of the chain, under audit/ of the audit bucket: PutObject ' +
        'only, and only as a create (s3:if-none-match = *); the bucket is under Object Lock COMPLIANCE and its ' +
        'policy denies deletes to everyone (docs/adr/0012-audit-object-lock.md).',
      nagResourceFinding(stack, `${arns.auditBucketArn}/audit/*`),
    );
  }
  const table = declaration.access.table;
  const writes =
    (table?.write ?? []).length > 0 ||
    table?.appendsAudit === true ||
    (declaration.access.emits ?? []).length > 0;
  const reads =
    (table?.read ?? []).length > 0 || (table?.indexes ?? []).length > 0 || declaration.trigger === 'stream';
  const idempotent = declaration.trigger === 'http' && declaration.idempotent === true;
  // DynamoDB encrypts with the data key on the caller's behalf: decrypt to read, generate data keys to write.
  if (writes || idempotent) {
    resources.dataKey.grant(
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
    resources.dataKey.grant(fn.function, 'kms:Decrypt', 'kms:DescribeKey');
  }
  // The export bucket encrypts with the data key (SSE-KMS): a writer generates data keys, a reader (the
  // presigned download is signed with the reader's role) decrypts.
  const exportFiles = declaration.access.exportFiles ?? [];
  if (exportFiles.includes('write'))
    resources.dataKey.grant(fn.function, 'kms:GenerateDataKey', 'kms:Decrypt');
  if (exportFiles.includes('read')) resources.dataKey.grant(fn.function, 'kms:Decrypt');
  // The attachments bucket too: a presigned PUT is signed with the creating route's role (it must be able to
  // generate the object's data key), a presigned GET or the checker's read with a role that can decrypt it.
  const attachmentFiles = declaration.access.attachmentFiles ?? [];
  if (attachmentFiles.includes('upload')) resources.dataKey.grant(fn.function, 'kms:GenerateDataKey');
  if (attachmentFiles.includes('download') || attachmentFiles.includes('read')) {
    resources.dataKey.grant(fn.function, 'kms:Decrypt');
  }
  if (attachmentFiles.length > 0) {
    acknowledge(
      fn.role,
      "Attachments are objects under the bucket's attachments/ prefix, one per attachment (attachments/<attachmentId>): " +
        'the grant names that prefix of the one attachments bucket, and only the object action the declaration lists.',
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${attachmentBucketNameFor(stage, '<AWS::AccountId>', stack.region)}/attachments/*]`,
    );
  }
  if (exportFiles.length > 0) {
    acknowledge(
      fn.role,
      "Export files are objects under the bucket's exports/ prefix, one per export (exports/<patientId>/<exportId>.json): " +
        'the grant names that prefix of the one export bucket, and only the object actions the declaration lists.',
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${exportBucketNameFor(stage, '<AWS::AccountId>', stack.region)}/exports/*]`,
    );
  }
};
