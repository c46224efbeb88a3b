import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Schedule } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  EmailIdentity,
  Identity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { DEFAULT_BUS_NAME, EVENT_SOURCE } from '../shared/config.ts';
import {
  IDEMPOTENCY_TABLE,
  INDEXES,
  KEY_ATTRIBUTES,
  TABLE_STREAM_VIEW_TYPE,
} from '../shared/db/table-definition.ts';
import { TOKEN_MINUTES } from '../shared/function-model/declaration.ts';
import {
  attachmentBucketNameFor,
  cursorSigningKeySecretName,
  exportBucketNameFor,
  SERVICE_NAME,
  type StageConfig,
} from './config.ts';
import { AttachmentBucket } from './constructs/attachment-bucket.ts';
import { acknowledge } from './nag.ts';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
  /** SES sender, from the `senderAddress` context (see infra/app.ts for why context and not a parameter). */
  readonly senderAddress: string;
}

/** TTL attribute (epoch seconds) on items that expire: finished due work, markers, audit entries (20 years)… */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * What holds data or identity and must outlive any redeploy of the functions: keys, the table and its
 * backups, the event bus, the user pool, the SES identity. The other stacks build on these.
 */
export class StatefulStack extends Stack {
  /** Encrypts patient data: the table and its backups. */
  readonly dataKey: Key;
  /** Encrypts operational data: log groups, dead-letter queues, the alarm topic. */
  readonly opsKey: Key;
  readonly table: Table;
  /** Physical table name: deterministic, so the function stacks can import it without a CloudFormation export. */
  readonly tableName: string;
  /** Powertools Idempotency records (`<table>-idempotency`): first responses of creating POSTs, kept 24 h. */
  readonly idempotencyTable: Table;
  readonly bus: EventBus;
  /** Patients' accounts (MFA optional: the general public). */
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  /** Practitioners' and assistants' accounts: TOTP MFA required, short tokens (docs/adr/0009-professional-accounts.md). */
  readonly professionalPool: UserPool;
  readonly professionalPoolClient: UserPoolClient;
  readonly emailIdentity: EmailIdentity;
  readonly configurationSet: ConfigurationSet;
  /** Its name, a synth-time literal (the function stacks build grant ARNs from names, not references). */
  readonly configurationSetName: string;
  readonly configurationSetArn: string;
  readonly senderAddress: string;
  /** HMAC key of the pagination cursors; functions read it by name (cursorSigningKeySecretName). */
  readonly cursorSigningKey: Secret;
  /** The patients' exports (SPEC 11.6): SSE-KMS with the data key, TLS only, deleted after 7 days. */
  readonly exportBucket: Bucket;
  /** Its name, a synth-time literal but for the account and region (grants are built from names). */
  readonly exportBucketName: string;
  /** The shipped audit chain: Object Lock COMPLIANCE, SSE-KMS with the data key (docs/adr/0012-audit-object-lock.md). */
  readonly auditBucket: Bucket;
  /** Its name: deterministic (service, stage, account, region), so the function stacks build the grant ARN from it. */
  readonly auditBucketName: string;
  /** Server access logs of the audit and attachments buckets (SSE-S3: the only encryption S3 logging accepts). */
  private accessLogs?: Bucket;
  /** The attachments (SPEC 11.3) and GuardDuty Malware Protection on them (docs/adr/0016-attachments.md). */
  readonly attachments: AttachmentBucket;
  /** Its name, a synth-time literal but for the account and region. */
  readonly attachmentBucketName: string;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = `${SERVICE_NAME}-${config.stage}`;
    this.senderAddress = props.senderAddress;

    // --- keys -------------------------------------------------------------------------------------------
    // The data key is retained in every stage: the table is retained too, and a table whose key was
    // deleted cannot be read or restored.
    this.dataKey = new Key(this, 'DataKey', {
      alias: `alias/${prefix}-data`,
      description: `${prefix}: DynamoDB tables, their AWS Backup recovery points, the DLQs of agenda events`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.opsKey = new Key(this, 'OpsKey', {
      alias: `alias/${prefix}-ops`,
      description: `${prefix}: log groups, dead-letter queues and the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    this.allowServicesOnOpsKey();
    this.allowServicesOnDataKey();

    // --- table ------------------------------------------------------------------------------------------
    this.tableName = prefix;
    const [partitionKey, sortKey] = KEY_ATTRIBUTES;
    this.table = new Table(this, 'Table', {
      tableName: this.tableName,
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: config.tableDeletionProtection,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The transactional outbox is read from the stream (functions/outbox-publisher): new images only.
      stream: StreamViewType[TABLE_STREAM_VIEW_TYPE],
      // Health records: never deleted by CloudFormation, in any stage.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection.type],
        ...(index.projection.type === 'INCLUDE' && { nonKeyAttributes: [...index.projection.attributes] }),
      });
    }

    // Idempotent writes (shared/http/idempotency.ts): Powertools' layout in a table of its own. Its records
    // hold copies of first responses (message texts among them), so: the same data key, and a TTL that
    // deletes them after their 24 hours.
    this.idempotencyTable = new Table(this, 'IdempotencyTable', {
      tableName: IDEMPOTENCY_TABLE.nameFor(this.tableName),
      partitionKey: { name: IDEMPOTENCY_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: config.tableDeletionProtection,
      timeToLiveAttribute: IDEMPOTENCY_TABLE.ttlAttribute,
      // Nothing in it outlives a day: losing it only lets a retry of the last 24 h run again.
      removalPolicy: config.removalPolicy,
    });
    acknowledge(
      this.idempotencyTable,
      'Idempotency records live 24 hours (TTL) and only make retries safe; copying them into 90-day backups ' +
        'would keep health data longer than needed for no recovery value. PITR covers operator mistakes.',
      'HIPAA.Security-DynamoDBInBackupPlan',
    );

    // The HMAC key of the pagination cursors (shared/db/cursor.ts): generated once, kept across deploys (a new
    // key only makes clients restart at page 1), read by the functions through a dynamic reference by name.
    this.cursorSigningKey = new Secret(this, 'CursorSigningKey', {
      secretName: cursorSigningKeySecretName(config.stage),
      description: `${prefix}: HMAC key of the API's pagination cursors (no personal data)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      encryptionKey: this.opsKey,
      removalPolicy: config.removalPolicy,
    });
    acknowledge(
      this.cursorSigningKey,
      "The key only makes pagination cursors tamper-evident (cursors are also bound to the caller's own list); " +
        'rotating it would only send clients back to page 1, so it is rotated by hand when needed (runbook).',
      'AwsSolutions-SMG4',
      'HIPAA.Security-SecretsManagerRotationEnabled',
    );

    // The patients' exports (docs/adr/0013-gdpr-export-erasure.md): each object encrypted with the data key
    // (bucket key on: one KMS call per object batch, not per request), HTTPS only, private, and deleted 7 days
    // after it was written whatever happens (an erasure deletes them at once).
    this.exportBucketName = exportBucketNameFor(config.stage, this.account, this.region);
    this.exportBucket = new Bucket(this, 'ExportBucket', {
      bucketName: this.exportBucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'exports-7-days',
          expiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Nothing in it outlives 7 days: a stage torn down loses only exports the patients can ask for again.
      removalPolicy: config.removalPolicy,
    });
    acknowledge(
      this.exportBucket,
      'Export files are copies of data the table holds, kept 7 days and deleted on erasure: versions, replicas or ' +
        'backups would keep health data past its deletion. Reads are audited in the table (patient.exported) and by ' +
        'CloudTrail data events where enabled; server access logs would add a second copy of object keys for no use.',
      'AwsSolutions-S1',
      'HIPAA.Security-S3BucketLoggingEnabled',
      'HIPAA.Security-S3BucketReplicationEnabled',
      'HIPAA.Security-S3BucketVersioningEnabled',
    );

    this.attachmentBucketName = attachmentBucketNameFor(config.stage, this.account, this.region);

    // Daily AWS Backup copies beyond the 35 days of PITR, in a vault encrypted with the data key.
    const vault = new BackupVault(this, 'BackupVault', {
      backupVaultName: prefix,
      encryptionKey: this.dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const plan = new BackupPlan(this, 'BackupPlan', {
      backupPlanName: prefix,
      backupVault: vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'daily',
          scheduleExpression: Schedule.cron({ hour: '2', minute: '30' }),
          deleteAfter: config.backupRetention,
        }),
      ],
    });
    const selection = plan.addSelection('Table', {
      resources: [BackupResource.fromDynamoDbTable(this.table)],
    });
    acknowledge(
      selection,
      'AWS Backup service role: AWSBackupServiceRolePolicyForBackup is the AWS-maintained policy for the backup ' +
        'service (it follows new resource types and KMS requirements); it is attached only to this selection role.',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    );

    // --- audit archive ----------------------------------------------------------------------------------
    this.auditBucketName = `${prefix}-audit-${this.account}-${this.region}`;
    this.auditBucket = this.createAuditBucket(prefix, config);
    this.attachments = new AttachmentBucket(this, 'Attachments', {
      bucketName: this.attachmentBucketName,
      dataKey: this.dataKey,
      accessLogs: this.accessLogs as Bucket,
      removalPolicy: config.removalPolicy,
    });

    // --- events -----------------------------------------------------------------------------------------
    this.bus = new EventBus(this, 'Bus', {
      eventBusName: DEFAULT_BUS_NAME,
      description: 'Patient messaging: events published by the service and consumed from the agenda',
    });
    // An archive makes the service's events replayable after a consumer bug is fixed. They carry ids only. The
    // agenda's events are left out: an AppointmentBooked carries the patient's names, email and the motive, which
    // must not sit for 90 days under the AWS-owned key of an archive, nor outlive an erasure there (issue 13).
    // A lost agenda event is asked again from the agenda, which keeps its appointments (docs/runbook.md).
    this.bus.archive('Archive', {
      archiveName: prefix,
      description: `${prefix}: replay of the service's own events (ids only; agenda events are not archived)`,
      eventPattern: { source: [EVENT_SOURCE] },
      retention: config.archiveRetention,
    });

    // --- identity ---------------------------------------------------------------------------------------
    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: prefix,
      // Accounts are provisioned by the practice/booking system, not self-registered.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      // `custom:role` (practitioner | patient) is set when the account is created and never changes.
      customAttributes: { role: new StringAttribute({ mutable: false, minLen: 1, maxLen: 32 }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus tier: threat protection (compromised credentials, adaptive authentication) enforced.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.stage === 'prod',
      removalPolicy: config.removalPolicy,
    });
    acknowledge(
      this.userPool,
      'Patients only: MFA is OPTIONAL with TOTP because patients are the general public and cannot all be ' +
        'required to enrol an authenticator, and a patient token opens only that patient’s own threads. ' +
        'Practitioners and assistants sign in to the separate ProfessionalPool, where TOTP MFA is REQUIRED ' +
        '(docs/adr/0009-professional-accounts.md); Plus-tier threat protection here blocks or challenges risky sign-ins.',
      'AwsSolutions-COG2',
    );
    this.userPoolClient = this.userPool.addClient('AppClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.minutes(TOKEN_MINUTES.patients),
      accessTokenValidity: Duration.minutes(TOKEN_MINUTES.patients),
      refreshTokenValidity: Duration.days(30),
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true })
        .withCustomAttributes('role'),
      // custom:role is deliberately not writable by the client.
      writeAttributes: new ClientAttributes().withStandardAttributes({ givenName: true, familyName: true }),
    });

    // Practitioners and assistants: a token of theirs opens every thread of every one of their patients. MFA is
    // a setting of the pool, not of an app client, hence a pool of their own (docs/adr/0009-professional-accounts.md).
    this.professionalPool = new UserPool(this, 'ProfessionalPool', {
      userPoolName: `${prefix}-professionals`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      // `custom:role`: practitioner | assistant, set when the account is created and never changed.
      customAttributes: { role: new StringAttribute({ mutable: false, minLen: 1, maxLen: 32 }) },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        passwordHistorySize: 12,
        tempPasswordValidity: Duration.days(1),
      },
      // TOTP only: SMS codes can be intercepted (SIM swap) and email is what a password reset already uses.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false, email: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.stage === 'prod',
      removalPolicy: config.removalPolicy,
    });
    // A disabled professional keeps access until the ID token they hold expires (the authorizer is stateless and
    // does not see revocations): 15 minutes, and a refresh token of one working day (docs/runbook.md).
    this.professionalPoolClient = this.professionalPool.addClient('AppClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      authSessionValidity: Duration.minutes(3),
      idTokenValidity: Duration.minutes(TOKEN_MINUTES.professionals),
      accessTokenValidity: Duration.minutes(TOKEN_MINUTES.professionals),
      refreshTokenValidity: Duration.hours(12),
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true })
        .withCustomAttributes('role'),
      writeAttributes: new ClientAttributes().withStandardAttributes({ givenName: true, familyName: true }),
    });

    // --- email ------------------------------------------------------------------------------------------
    this.configurationSetName = prefix;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSetArn = this.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
    this.emailIdentity = new EmailIdentity(this, 'SenderIdentity', {
      identity: Identity.email(props.senderAddress),
      configurationSet: this.configurationSet,
    });

    this.pinExports();
  }

  /**
   * The only values other stacks import by reference: ARNs and ids that exist once the resource does
   * (names — table, bus, configuration set — are imported as literals). Exported explicitly so that an
   * export never disappears with its last consumer: CloudFormation refuses to delete an export that a
   * deployed stack still imports, which would block this stack's deploy. The export names are CDK's
   * (stack name and logical id), unchanged by the stack split, so already-deployed importers keep working.
   */
  private pinExports(): void {
    for (const value of [
      this.table.tableStreamArn as string,
      this.dataKey.keyArn,
      this.opsKey.keyArn,
      this.userPool.userPoolId,
      this.userPoolClient.userPoolClientId,
      this.professionalPool.userPoolId,
      this.professionalPoolClient.userPoolClientId,
    ]) {
      this.exportValue(value);
    }
    // No stack imports the bus since the split (its name is fixed: DEFAULT_BUS_NAME), but a stage deployed
    // before it still has PatientMessaging-<stage>-Stateless importing this export: keep it until that stack
    // is deleted everywhere (docs/adr/0001-stack-split.md), then remove this line.
    this.exportValue(this.bus.eventBusName);
  }

  /**
   * The tamper-proof copy of the audit trail (functions/audit-shipper, docs/adr/0012-audit-object-lock.md):
   * Object Lock in COMPLIANCE mode with the stage's default retention (no principal, root included, can delete
   * a version or shorten its retention before it ends), versioned (Object Lock requires it), SSE-KMS with the
   * data key and a bucket key, TLS only, public access blocked, server access logs to a bucket of their own.
   * The bucket policy also refuses, to every principal: a PutObject that is not a create (`If-None-Match: *`),
   * so no new version can shadow a link, and a DeleteObject, so no delete marker can hide one.
   */
  private createAuditBucket(prefix: string, config: StageConfig): Bucket {
    const accessLogs = new Bucket(this, 'AuditAccessLogs', {
      // Also the attachments bucket's (under attachments/): one log bucket for the buckets that need logs.
      bucketName: `${prefix}-audit-logs-${this.account}-${this.region}`,
      // S3 server access logs can only be delivered to an SSE-S3 bucket.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        { expiration: config.auditAccessLogRetention, noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy: config.removalPolicy,
    });
    this.accessLogs = accessLogs;
    acknowledge(
      accessLogs,
      'The access-log bucket of the audit and attachments buckets. S3 delivers server access logs only to SSE-S3 buckets, so it ' +
        'cannot use the data key; it holds request metadata (keys are ids), no entry content. Not replicated: ' +
        'it is kept for the retention of the stage, and the audit chain itself is under Object Lock.',
      'HIPAA.Security-S3DefaultEncryptionKMS',
      'HIPAA.Security-S3BucketReplicationEnabled',
    );
    const bucket = new Bucket(this, 'AuditBucket', {
      bucketName: this.auditBucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(config.auditRetention),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit/',
      // Locked objects outlive any stack: the bucket is never deleted by CloudFormation.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'LinksAreCreatedNeverReplaced',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NoDeleteMarkersNorVersionDeletes',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    acknowledge(
      bucket,
      'The audit chain is write-once under Object Lock COMPLIANCE for the retention of the stage: replication ' +
        'would add a second copy to keep in step with the lock, and AWS Backup does not restore Object Lock ' +
        'settings; its durability is S3’s (11 nines), its integrity is what Object Lock and the chain provide.',
      'HIPAA.Security-S3BucketReplicationEnabled',
    );
    return bucket;
  }

  /**
   * AWS services that use the data key on our behalf: only EventBridge, to park undeliverable agenda events
   * (names, email, motive) in their consumers' dead-letter queues (infra/events-stack.ts), and only through SQS
   * (`kms:ViaService`) for this account. Every other use of the key is by this account's IAM roles, each
   * granted it explicitly; no statement names a service or a wildcard principal without `kms:ViaService`.
   */
  private allowServicesOnDataKey(): void {
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EventBridgeSendToAgendaDeadLetterQueues',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': this.account,
            'kms:ViaService': `sqs.${this.region}.amazonaws.com`,
          },
        },
      }),
    );
  }

  /** AWS services that encrypt with the ops key on our behalf, each limited to this account's resources. */
  private allowServicesOnOpsKey(): void {
    const { account, region, partition } = this;
    this.opsKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsEncryptLogGroups',
        principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
    for (const [sid, service, actions] of [
      [
        'CloudWatchAlarmsPublishToEncryptedTopic',
        'cloudwatch.amazonaws.com',
        ['kms:Decrypt', 'kms:GenerateDataKey*'],
      ],
      [
        'EventBridgeSendToEncryptedDeadLetterQueues',
        'events.amazonaws.com',
        ['kms:Decrypt', 'kms:GenerateDataKey'],
      ],
    ] as const) {
      this.opsKey.addToResourcePolicy(
        new PolicyStatement({
          sid,
          principals: [new ServicePrincipal(service)],
          actions: [...actions],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }
  }
}
