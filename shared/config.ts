/**
 * Environment read once per process. A missing required variable fails loudly at
 * cold start rather than on the first request.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  /** Only set locally: where DynamoDB Local, the local bus and local SES listen. */
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
  sesEndpoint: 'SES_ENDPOINT',
  sesFromAddress: 'SES_FROM_ADDRESS',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  appBaseUrl: 'APP_BASE_URL',
  /** Powertools Idempotency records (shared/db/table-definition.ts IDEMPOTENCY_TABLE). */
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  /** HMAC key of the pagination cursors (shared/db/cursor.ts), at least 32 characters; required in AWS. */
  cursorSigningKey: 'CURSOR_SIGNING_KEY',
  /** The Object Lock bucket of the shipped audit chains (docs/adr/0012-audit-object-lock.md). */
  auditBucketName: 'AUDIT_BUCKET_NAME',
  /** Only set locally: the S3-compatible server (local/s3-local.ts). */
  s3Endpoint: 'S3_ENDPOINT',
  /** The stage's per-user quotas as JSON (shared/domain/quotas.ts); the dev values when absent. */
  quotas: 'QUOTAS',
  /** Set by the local stack (local/lambda-env.ts): outside AWS a missing CURSOR_SIGNING_KEY may be random. */
  localStack: 'LOCAL_STACK',
} as const;

export const requireEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`Missing required environment variable ${name}`);
  return value;
};

export const optionalEnv = (name: string): string | undefined => process.env[name] || undefined;

export const EVENT_SOURCE = 'patient-messaging';
export const AGENDA_SOURCE = 'agenda';
export const DEFAULT_BUS_NAME = 'patient-messaging';
/**
 * The export and erasure functions' variables (SPEC 11.6), apart from ENV so that
 * the other functions' bundles do not carry them (ADR 0006's budget).
 */
export const PERSONAL_DATA_ENV = {
  /** The bucket of the patients' exports (SPEC 11.6; docs/adr/0013-gdpr-export-erasure.md). */
  exportBucketName: 'EXPORT_BUCKET_NAME',
  /** Only set locally: the S3-compatible server (local/s3-local.ts). */
  s3Endpoint: 'S3_ENDPOINT',
  /** Years a thread and its messages are kept after their last message (the medical record); default 20. */
  medicalRecordRetentionYears: 'MEDICAL_RECORD_RETENTION_YEARS',
} as const;

/**
 * The real-time functions' variables (SPEC 11.4), apart from ENV so that the other functions' bundles do
 * not carry them.
 */
export const REALTIME_ENV = {
  /** Where the notifier posts to connections: the WebSocket API stage's URL (locally the local twin's). */
  managementEndpoint: 'WEBSOCKET_MANAGEMENT_ENDPOINT',
  /**
   * The `$connect` authorizer's user pools as JSON, `{"<pool>": {"issuer", "audience", "jwksUrl"}}`:
   * what the HTTP API's JWT authorizers are configured with (shared/runtime/id-token.ts).
   */
  authPools: 'WEBSOCKET_AUTH_POOLS',
} as const;

/** The attachment functions' variables (SPEC 11.3, docs/adr/0016-attachments.md), set only on them. */
export const ATTACHMENT_ENV = {
  bucketName: 'ATTACHMENT_BUCKET_NAME',
  /**
   * `required` in AWS: an attachment is clean only once GuardDuty also reported no threat.
   * `off` in the local stack, where nothing scans for malware (README).
   */
  malwareScan: 'ATTACHMENT_MALWARE_SCAN',
} as const;

/** The attachments bucket's name in the local stack and the tests (in AWS: CDK names it). */
export const LOCAL_ATTACHMENT_BUCKET = 'patient-messaging-attachments';

/** The export bucket's name in the local stack and the tests (in AWS: CDK names it, EXPORT_BUCKET_NAME). */
export const LOCAL_EXPORT_BUCKET = 'patient-messaging-exports';
