import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AUDIT_RETENTION_YEARS } from '../shared/domain/audit.ts';

/** Whole years in days, leap days included (Object Lock counts days; the table's TTL adds calendar years). */
const yearsInDays = (years: number) => Math.ceil(years * 365.25);

import { DEFAULT_QUOTAS, type Quotas } from '../shared/domain/quotas.ts';

/**
 * Per-stage settings. A stage is selected with `-c stage=dev|prod` (cdk.json defaults to dev).
 * Each stage is meant for its own AWS account: the bus name `patient-messaging` is fixed by the
 * product contract (SPEC §10), so two stages cannot share an account and region.
 */
export type StageName = 'dev' | 'prod';

export interface StageConfig {
  readonly stage: StageName;
  /** Retention of every Lambda and API access log group. */
  readonly logRetention: RetentionDays;
  /** Applied to everything that is safe to recreate (log groups, queues, topics, the ops key, the user pool in dev). */
  readonly removalPolicy: RemovalPolicy;
  /** Health records: the table (and the key that encrypts it) are never deleted by CloudFormation. */
  readonly tableDeletionProtection: boolean;
  /** POWERTOOLS_LOG_LEVEL and the Lambda application log level. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  /** How long AWS Backup keeps the daily table backups (PITR covers the last 35 days on top). */
  readonly backupRetention: Duration;
  /**
   * Years a thread and its messages are kept after their last message, then deleted by TTL: the medical
   * record's legal retention (Code de la santé publique R1112-7: 20 years), which limits erasure (GDPR art. 17(3)(c)).
   */
  readonly medicalRecordRetentionYears: number;
  /** How long the bus archive keeps events for replay. */
  readonly archiveRetention: Duration;
  /**
   * Object Lock (COMPLIANCE) default retention of the shipped audit chain: nobody, root included, can delete
   * or shorten it before then. Prod: the audit trail's 20 years (AUDIT_RETENTION_YEARS, the medical-record
   * retention); dev: one day, so a dev account does not accumulate undeletable objects.
   */
  readonly auditRetention: Duration;
  /** How long the audit bucket's S3 server access logs are kept. */
  readonly auditAccessLogRetention: Duration;
  /** Default HTTP API stage throttling (token bucket). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Base URL of the web app, used in notification emails (APP_BASE_URL). */
  readonly appBaseUrl: string;
  /** Per-user quotas and rate limits, enforced in the database (QUOTAS env JSON, docs/adr/0011). */
  readonly quotas: Quotas;
}

export const STAGES: Readonly<Record<StageName, StageConfig>> = {
  dev: {
    stage: 'dev',
    logRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
    tableDeletionProtection: false,
    logLevel: 'DEBUG',
    backupRetention: Duration.days(7),
    medicalRecordRetentionYears: 20,
    archiveRetention: Duration.days(7),
    auditRetention: Duration.days(1),
    auditAccessLogRetention: Duration.days(14),
    throttle: { rateLimit: 20, burstLimit: 40 },
    appBaseUrl: 'https://dev.patient-messaging.example.com',
    quotas: DEFAULT_QUOTAS,
  },
  prod: {
    stage: 'prod',
    logRetention: RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    tableDeletionProtection: true,
    logLevel: 'INFO',
    backupRetention: Duration.days(90),
    medicalRecordRetentionYears: 20,
    archiveRetention: Duration.days(90),
    auditRetention: Duration.days(yearsInDays(AUDIT_RETENTION_YEARS)),
    auditAccessLogRetention: Duration.days(400),
    throttle: { rateLimit: 200, burstLimit: 400 },
    appBaseUrl: 'https://patient-messaging.example.com',
    quotas: {
      openRequestsPerPatientPerPractitioner: 3,
      patientRequestsPerDay: 10,
      templatesPerPractitioner: 200,
      automationsPerPractitioner: 50,
      delegatesPerPractitioner: 20,
      pendingScheduledMessagesPerPractitioner: 2_000,
      communicationsPerPractitionerPerDay: 20,
      communicationRecipientsPerPractitionerPerDay: 20_000,
    },
  },
};

export const isStageName = (value: unknown): value is StageName => value === 'dev' || value === 'prod';

/** Paris: health data stays in the EEA. */
export const DEFAULT_REGION = 'eu-west-3';

/**
 * The only regions a stage may be deployed to: AWS regions inside the European Economic Area (EU member states;
 * Iceland, Liechtenstein and Norway host none). Health data and its backups must not leave the EEA, so London
 * (eu-west-2, UK) and Zurich (eu-central-2, Switzerland) are out despite their adequacy decisions: adding one is
 * a decision for the data protection officer, not a deploy flag.
 */
export const EEA_REGIONS = [
  'eu-west-3', // Paris
  'eu-west-1', // Ireland
  'eu-central-1', // Frankfurt
  'eu-north-1', // Stockholm
  'eu-south-1', // Milan
  'eu-south-2', // Spain
] as const;

/** The `region` context, checked: synth fails with this error for any region outside EEA_REGIONS. */
export const eeaRegion = (region: unknown): (typeof EEA_REGIONS)[number] => {
  const allowed: readonly string[] = EEA_REGIONS;
  if (typeof region === 'string' && allowed.includes(region)) return region as (typeof EEA_REGIONS)[number];
  throw new Error(
    `Region "${String(region)}" is not allowed: patient data must stay in the EEA. ` +
      `Use -c region=<one of ${EEA_REGIONS.join(', ')}> (default ${DEFAULT_REGION}).`,
  );
};

/** Default sender when no `senderAddress` context is given (a placeholder: set the real one per stage). */
export const DEFAULT_SENDER_ADDRESS = 'no-reply@example.com';

/** Application name: prefix of stack names, alarm names and the Powertools service name. */
export const APP_NAME = 'PatientMessaging';
export const SERVICE_NAME = 'patient-messaging';
export const METRICS_NAMESPACE = 'PatientMessaging';

/**
 * The Secrets Manager secret holding the cursor HMAC key of a stage: created by the stateful stack, read by
 * every function through a CloudFormation dynamic reference by this name (no cross-stack export).
 */
/**
 * The export bucket's name (globally unique: account and region in it). cdk-nag shows the account
 * token as `<AWS::AccountId>`: the acknowledgement of the grants on `exports/*` is built with the same function.
 */
export const exportBucketNameFor = (stage: StageName, account: string, region: string): string =>
  `${SERVICE_NAME}-${stage}-exports-${account}-${region}`;

/** The attachments bucket's name (globally unique), built the same way for the grants' acknowledgement. */
export const attachmentBucketNameFor = (stage: StageName, account: string, region: string): string =>
  `${SERVICE_NAME}-${stage}-attachments-${account}-${region}`;

export const cursorSigningKeySecretName = (stage: StageName): string =>
  `${SERVICE_NAME}/${stage}/cursor-signing-key`;
