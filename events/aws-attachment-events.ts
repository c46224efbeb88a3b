/**
 * Events AWS publishes on the account's default bus about the attachments bucket, consumed by the
 * attachment checks (docs/adr/0016-attachments.md). Not ours, not strict: only what is read is parsed.
 * Locally, the local stack puts the same "Object Created" on its bus when the S3-compatible server
 * stores an object (local/s3-local.ts); nothing publishes scan results locally.
 */
import * as z from '../shared/validation.ts';
import { defineConsumedEvent } from './define.ts';

export const S3_SOURCE = 'aws.s3';
export const GUARDDUTY_SOURCE = 'aws.guardduty';

const key = z.string().check(z.minLength(1), z.maxLength(1024));

/**
 * S3 → EventBridge (the bucket's `eventBridgeEnabled`): an object was stored. Every bucket of the
 * account with EventBridge on publishes it on the default bus: the rule matches the bucket by name.
 */
export const S3ObjectCreated = defineConsumedEvent(
  S3_SOURCE,
  'Object Created',
  z.object({
    bucket: z.object({ name: key }),
    object: z.object({ key, size: z.optional(z.number()) }),
  }),
  1,
  { bucketName: ['bucket', 'name'], objectKey: ['object', 'key'] },
);

/**
 * GuardDuty Malware Protection for S3: the scan of one object ended (on the default bus, for every
 * protected bucket of the account). Its detail names the object in `s3ObjectDetails` (`bucketName`,
 * `objectKey`), next to `scanStatus`, `resourceType` (`S3_OBJECT`) and `scanResultDetails`
 * (GuardDuty User Guide, "Monitoring S3 object scans with Amazon EventBridge").
 */
export const MalwareScanResult = defineConsumedEvent(
  GUARDDUTY_SOURCE,
  'GuardDuty Malware Protection Object Scan Result',
  z.object({
    s3ObjectDetails: z.object({ bucketName: key, objectKey: key }),
    scanResultDetails: z.object({ scanResultStatus: z.string().check(z.maxLength(64)) }),
  }),
  1,
  { bucketName: ['s3ObjectDetails', 'bucketName'], objectKey: ['s3ObjectDetails', 'objectKey'] },
);
