/**
 * The attachments' bucket (SPEC 11.3, docs/adr/0016-attachments.md) and GuardDuty Malware Protection
 * for S3 on it. Private (public access blocked, bucket-owner-enforced), TLS only, SSE-KMS with the data
 * key and a bucket key, versioned (an overwrite cannot silently replace a checked file: the noncurrent
 * version expires after a day), server access logs to the existing access-log bucket, and EventBridge
 * notifications on (the checker's "Object Created", GuardDuty's managed rule). Unused uploads are deleted
 * after 24 hours by the due-work queue (item and object, the same code as the local stack's): no S3
 * lifecycle rule can know whether a message took an object.
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnMalwareProtectionPlan } from 'aws-cdk-lib/aws-guardduty';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ATTACHMENT_OBJECT_PREFIX } from '../../shared/domain/attachments.ts';
import { acknowledge, nagResourceFinding } from '../nag.ts';

export interface AttachmentBucketProps {
  readonly bucketName: string;
  readonly dataKey: IKey;
  readonly accessLogs: IBucket;
  readonly removalPolicy: RemovalPolicy;
}

/** The prefix of GuardDuty's EventBridge managed rule (its role may manage only that rule). */
const GUARDDUTY_MANAGED_RULE = 'DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*';
/** The service that assumes the plan's role, and the only one that may manage that rule (`events:ManagedBy`). */
const GUARDDUTY_MALWARE_PROTECTION_PLAN = 'malware-protection-plan.guardduty.amazonaws.com';
/** The object GuardDuty puts at the bucket's root when the plan is created, to test its permissions. */
const GUARDDUTY_VALIDATION_OBJECT = 'malware-protection-resource-validation-object';

export class AttachmentBucket extends Construct {
  readonly bucket: Bucket;
  readonly malwareProtectionPlan: CfnMalwareProtectionPlan;

  constructor(scope: Construct, id: string, props: AttachmentBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: props.dataKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'attachments/',
      lifecycleRules: [
        {
          id: 'old-versions-and-parts',
          // A deleted or overwritten object's previous version: gone the next day (an erasure means it).
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy,
    });
    // S3 → EventBridge on the bucket itself (the L2 `eventBridgeEnabled` would add a custom-resource Lambda).
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    acknowledge(
      this.bucket,
      'Attachments are part of the medical record the table holds (the message refers to them) and are deleted ' +
        'with it or on erasure: a replica would keep health data past its deletion. Durability is S3’s; the ' +
        'versioning here only protects a checked file from being replaced.',
      'HIPAA.Security-S3BucketReplicationEnabled',
    );
    this.malwareProtectionPlan = this.protectFromMalware(props);
  }

  /**
   * GuardDuty scans every new object under attachments/ and publishes the result (the scan-result consumer).
   * Its role's policy is the one the GuardDuty User Guide documents for a Malware Protection for S3 plan
   * ("Create or update IAM role policy", docs/adr/0016-attachments.md): its eight statements, with their
   * documented Sids and actions, each narrowed to this bucket, its attachments/ prefix, GuardDuty's own
   * managed rule and the data key used through S3 in this region.
   */
  private protectFromMalware(props: AttachmentBucketProps): CfnMalwareProtectionPlan {
    const stack = Stack.of(this);
    const bucketArn = this.bucket.bucketArn;
    const attachmentsArn = `${bucketArn}/${ATTACHMENT_OBJECT_PREFIX}*`;
    const managedRuleArn = `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/${GUARDDUTY_MANAGED_RULE}`;
    const role = new Role(this, 'MalwareProtectionRole', {
      assumedBy: new ServicePrincipal(GUARDDUTY_MALWARE_PROTECTION_PLAN),
      description: 'GuardDuty Malware Protection for S3: reads and tags the attachments it scans',
      inlinePolicies: {
        scan: new PolicyDocument({
          statements: [
            // GuardDuty creates and manages its EventBridge managed rule, to hear the bucket's uploads.
            new PolicyStatement({
              sid: 'AllowManagedRuleToSendS3EventsToGuardDuty',
              effect: Effect.ALLOW,
              actions: ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
              resources: [managedRuleArn],
              conditions: { StringLike: { 'events:ManagedBy': GUARDDUTY_MALWARE_PROTECTION_PLAN } },
            }),
            new PolicyStatement({
              sid: 'AllowGuardDutyToMonitorEventBridgeManagedRule',
              effect: Effect.ALLOW,
              actions: ['events:DescribeRule', 'events:ListTargetsByRule'],
              resources: [managedRuleArn],
            }),
            // The verdict tag (GuardDutyMalwareScanStatus) on the objects it scanned.
            new PolicyStatement({
              sid: 'AllowPostScanTag',
              effect: Effect.ALLOW,
              actions: [
                's3:PutObjectTagging',
                's3:GetObjectTagging',
                's3:PutObjectVersionTagging',
                's3:GetObjectVersionTagging',
              ],
              resources: [attachmentsArn],
            }),
            // S3 → EventBridge on the bucket (already on: CfnBucket notificationConfiguration above).
            new PolicyStatement({
              sid: 'AllowEnableS3EventBridgeEvents',
              effect: Effect.ALLOW,
              actions: ['s3:PutBucketNotification', 's3:GetBucketNotification'],
              resources: [bucketArn],
            }),
            // The test object it puts when the plan is created (SSE-KMS: with the key statement below).
            new PolicyStatement({
              sid: 'AllowPutValidationObject',
              effect: Effect.ALLOW,
              actions: ['s3:PutObject'],
              resources: [`${bucketArn}/${GUARDDUTY_VALIDATION_OBJECT}`],
            }),
            new PolicyStatement({
              sid: 'AllowCheckBucketOwnership',
              effect: Effect.ALLOW,
              actions: ['s3:ListBucket'],
              resources: [bucketArn],
            }),
            new PolicyStatement({
              sid: 'AllowMalwareScan',
              effect: Effect.ALLOW,
              actions: ['s3:GetObject', 's3:GetObjectVersion'],
              resources: [attachmentsArn],
            }),
            // The objects are SSE-KMS with the data key: decrypt to scan, a data key for the test object.
            new PolicyStatement({
              sid: 'AllowDecryptForMalwareScan',
              effect: Effect.ALLOW,
              actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
              resources: [props.dataKey.keyArn],
              conditions: { StringLike: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
            }),
          ],
        }),
      },
    });
    acknowledge(
      role,
      'The role GuardDuty Malware Protection for S3 assumes, with the policy the GuardDuty User Guide documents for ' +
        'it ("Create or update IAM role policy"), narrowed to this bucket, its attachments/ prefix (the objects it ' +
        'scans and tags), GuardDuty’s own managed rule (its name is fixed by GuardDuty, hence the prefix wildcard) and ' +
        'the data key through S3 only. Inline: it belongs to this one plan and is deleted with it.',
      'HIPAA.Security-IAMNoInlinePolicy',
      nagResourceFinding(stack, managedRuleArn),
      nagResourceFinding(stack, attachmentsArn),
    );
    const plan = new CfnMalwareProtectionPlan(this, 'MalwareProtectionPlan', {
      role: role.roleArn,
      protectedResource: {
        s3Bucket: { bucketName: this.bucket.bucketName, objectPrefixes: [ATTACHMENT_OBJECT_PREFIX] },
      },
      // GuardDuty also tags each object with its verdict (GuardDutyMalwareScanStatus): visible to operators.
      actions: { tagging: { status: 'ENABLED' } },
    });
    plan.node.addDependency(role);
    return plan;
  }
}
