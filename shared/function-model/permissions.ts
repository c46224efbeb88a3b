/**
 * A function's IAM permissions, derived from its declaration and nothing else.
 * The CDK stack attaches exactly these statements to the function's role
 * (infra/service-functions.ts); the local stack enforces exactly these on the
 * function's SDK clients (local/iam-enforcement.ts); test/infra/permissions.test.ts
 * proves the synthesized policies equal them. Only the data plane is here
 * (DynamoDB, EventBridge, SES); KMS, logs, X-Ray and the DLQ are added by CDK
 * next to them and are not emulated locally.
 */
import { EVENT_SOURCE, LOCAL_ATTACHMENT_BUCKET, LOCAL_EXPORT_BUCKET } from '../config.ts';
import { ITEM_KINDS, type ItemKind } from '../db/keys.ts';
import type { FunctionDeclaration } from './declaration.ts';

/** The ARNs and names a function's statements refer to, for one deployment (AWS) or the local stack. */
export interface ServiceResources {
  readonly tableArn: string;
  /** The table's stream (its label is only known once the stream exists: a reference in CDK). */
  readonly tableStreamArn: string;
  readonly idempotencyTableArn: string;
  readonly busArn: string;
  /** SES sender identity and configuration set, and the sender address (`ses:FromAddress`). */
  readonly emailIdentityArn: string;
  readonly configurationSetArn: string;
  readonly senderAddress: string;
  /** The patients' export bucket (SPEC 11.6). */
  readonly exportBucketArn: string;
  /** The Object Lock bucket of the shipped audit chains. */
  readonly auditBucketArn: string;
  /** The WebSocket API's stage (`arn:…:execute-api:<region>:<account>:<apiId>/<stage>`), SPEC 11.4. */
  readonly webSocketStageArn: string;
  /** The attachments' bucket (SPEC 11.3). */
  readonly attachmentBucketArn: string;
}

export interface PolicyStatement {
  readonly sid: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** IAM condition block: operator → key → values. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
] as const;
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;
/** Exactly what Powertools Idempotency does with its records. */
const IDEMPOTENCY_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** `PRAC#*`, `THREAD#*`…: the partitions the kinds live in, sorted and without duplicates. */
export const leadingKeyPatterns = (kinds: readonly ItemKind[]): string[] =>
  [...new Set(kinds.map((kind) => `${ITEM_KINDS[kind]}*`))].sort();

const leadingKeys = (kinds: readonly ItemKind[]) => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeyPatterns(kinds) },
});

const tableStatements = (declaration: FunctionDeclaration, r: ServiceResources): PolicyStatement[] => {
  const table = declaration.access.table ?? {};
  const statements: PolicyStatement[] = [];
  const read = table.read ?? [];
  if (read.length > 0) {
    statements.push({
      sid: 'ReadItems',
      effect: 'Allow',
      actions: [...TABLE_READ_ACTIONS],
      resources: [r.tableArn],
      conditions: leadingKeys(read),
    });
  }
  if ((table.indexes ?? []).length > 0) {
    statements.push({
      sid: 'QueryIndexes',
      effect: 'Allow',
      actions: ['dynamodb:Query'],
      resources: [...new Set(table.indexes)].sort().map((index) => `${r.tableArn}/index/${index}`),
    });
  }
  const write = table.write ?? [];
  if (write.length > 0) {
    statements.push({
      sid: 'WriteItems',
      effect: 'Allow',
      actions: [...TABLE_WRITE_ACTIONS, ...(table.batchWrites ? ['dynamodb:BatchWriteItem'] : [])],
      resources: [r.tableArn],
      conditions: leadingKeys(write),
    });
  }
  if ((declaration.access.emits ?? []).length > 0) {
    // The outbox items of its events, written in its transactions; never read back, updated or deleted.
    statements.push({
      sid: 'WriteOutboxEvents',
      effect: 'Allow',
      actions: ['dynamodb:PutItem'],
      resources: [r.tableArn],
      conditions: leadingKeys(['outboxEvent']),
    });
  }
  if (table.appendsAudit) {
    // Put only: an entry is never updated or deleted by a function (the TTL removes it after 20 years).
    statements.push({
      sid: 'AppendAuditEntries',
      effect: 'Allow',
      actions: ['dynamodb:PutItem'],
      resources: [r.tableArn],
      conditions: leadingKeys(['audit']),
    });
  }
  return statements;
};

export const permissionsFor = (declaration: FunctionDeclaration, r: ServiceResources): PolicyStatement[] => {
  const statements = tableStatements(declaration, r);
  if (declaration.trigger === 'http' && declaration.idempotent) {
    statements.push({
      sid: 'IdempotencyRecords',
      effect: 'Allow',
      actions: [...IDEMPOTENCY_ACTIONS],
      resources: [r.idempotencyTableArn],
    });
  }
  if (declaration.trigger === 'stream') {
    // What Lambda's event source mapping reads the stream with, as the function's role.
    statements.push(
      {
        sid: 'ReadTableStream',
        effect: 'Allow',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [r.tableStreamArn],
      },
      // ListStreams has no resource-level permission.
      { sid: 'ListTableStreams', effect: 'Allow', actions: ['dynamodb:ListStreams'], resources: ['*'] },
    );
  }
  const publishes = declaration.access.publishes ?? [];
  if (publishes.length > 0) {
    const foreign = publishes.filter((event) => event.source !== EVENT_SOURCE);
    if (foreign.length > 0) {
      // No function may forge another service's events (the agenda's, for instance).
      throw new Error(
        `${declaration.name} declares events of another source: ${foreign.map((e) => e.detailType).join(', ')}`,
      );
    }
    statements.push({
      sid: 'PublishEvents',
      effect: 'Allow',
      actions: ['events:PutEvents'],
      resources: [r.busArn],
      conditions: {
        StringEquals: {
          'events:source': [EVENT_SOURCE],
          'events:detail-type': [...new Set(publishes.map((event) => event.detailType))].sort(),
        },
      },
    });
  }
  const exportFiles = declaration.access.exportFiles ?? [];
  if (exportFiles.length > 0) {
    const actions = { read: 's3:GetObject', write: 's3:PutObject', delete: 's3:DeleteObject' } as const;
    statements.push({
      sid: 'ExportFiles',
      effect: 'Allow',
      actions: [...new Set(exportFiles)].sort().map((use) => actions[use]),
      resources: [`${r.exportBucketArn}/exports/*`],
    });
  }
  const attachmentFiles = declaration.access.attachmentFiles ?? [];
  if (attachmentFiles.length > 0) {
    // A presigned URL carries the signer's permissions: the create routes can only have uploads signed,
    // the download routes and the checker only reads, the remover only deletes.
    const actions = {
      upload: 's3:PutObject',
      download: 's3:GetObject',
      read: 's3:GetObject',
      delete: 's3:DeleteObject',
    } as const;
    statements.push({
      sid: 'AttachmentFiles',
      effect: 'Allow',
      actions: [...new Set(attachmentFiles.map((use) => actions[use]))].sort(),
      resources: [`${r.attachmentBucketArn}/attachments/*`],
    });
  }
  if (declaration.access.archivesAudit) {
    statements.push({
      sid: 'ArchiveAuditLinks',
      effect: 'Allow',
      // PutObject only, and only as a create (If-None-Match: *): never a new version over a link, a delete, a
      // retention or legal-hold change (the bucket's default COMPLIANCE retention applies to every object).
      actions: ['s3:PutObject'],
      resources: [`${r.auditBucketArn}/audit/*`],
      conditions: { StringEquals: { 's3:if-none-match': ['*'] } },
    });
  }
  if (declaration.access.postsToConnections) {
    statements.push({
      sid: 'ManageConnections',
      effect: 'Allow',
      // Post to and close connections (POST/GET/DELETE @connections/<id>) of this API's stage, nothing else.
      actions: ['execute-api:ManageConnections'],
      resources: [`${r.webSocketStageArn}/*/@connections/*`],
    });
  }
  if (declaration.access.sendsEmail) {
    statements.push({
      sid: 'SendNotificationEmails',
      effect: 'Allow',
      // SESv2 SendEmail only: the code never builds raw MIME (shared/runtime/mailer.ts).
      actions: ['ses:SendEmail'],
      resources: [r.emailIdentityArn, r.configurationSetArn],
      conditions: { StringEquals: { 'ses:FromAddress': [r.senderAddress] } },
    });
  }
  return statements;
};

/** The local stack's WebSocket API: its management endpoint answers for this id and stage. */
export const LOCAL_WEBSOCKET_API = { apiId: 'local', stage: 'local' } as const;

/** The local stack's audit bucket name (AWS: the stateful stack's, which adds account and region). */
export const auditBucketNameFor = (tableName: string): string => `${tableName}-audit`;

/** The resources of one deployment, from names: CDK passes its pseudo-parameter tokens, the local stack literals. */
export const serviceResources = (names: {
  partition: string;
  region: string;
  accountId: string;
  tableName: string;
  idempotencyTableName: string;
  busName: string;
  senderAddress: string;
  configurationSetName: string;
  /** The export bucket; default: the local stack's (shared/config.ts LOCAL_EXPORT_BUCKET). */
  exportBucketName?: string;
  /** Default: every stream of the table (the local stack, where nothing checks stream reads). */
  tableStreamArn?: string;
  /** Default: `<tableName>-audit` (the local stack's bucket). */
  auditBucketName?: string;
  /** The WebSocket API and its stage; default: the local stack's (LOCAL_WEBSOCKET_API). */
  webSocketApi?: { apiId: string; stage: string };
  /** Default: the local stack's (shared/config.ts LOCAL_ATTACHMENT_BUCKET). */
  attachmentBucketName?: string;
}): ServiceResources => {
  const arn = (service: string, resource: string) =>
    `arn:${names.partition}:${service}:${names.region}:${names.accountId}:${resource}`;
  return {
    tableArn: arn('dynamodb', `table/${names.tableName}`),
    tableStreamArn: names.tableStreamArn ?? arn('dynamodb', `table/${names.tableName}/stream/*`),
    idempotencyTableArn: arn('dynamodb', `table/${names.idempotencyTableName}`),
    busArn: arn('events', `event-bus/${names.busName}`),
    emailIdentityArn: arn('ses', `identity/${names.senderAddress}`),
    configurationSetArn: arn('ses', `configuration-set/${names.configurationSetName}`),
    senderAddress: names.senderAddress,
    exportBucketArn: `arn:${names.partition}:s3:::${names.exportBucketName ?? LOCAL_EXPORT_BUCKET}`,
    auditBucketArn: `arn:${names.partition}:s3:::${names.auditBucketName ?? auditBucketNameFor(names.tableName)}`,
    webSocketStageArn: (({ apiId, stage }) => arn('execute-api', `${apiId}/${stage}`))(
      names.webSocketApi ?? LOCAL_WEBSOCKET_API,
    ),
    attachmentBucketArn: `arn:${names.partition}:s3:::${names.attachmentBucketName ?? LOCAL_ATTACHMENT_BUCKET}`,
  };
};
