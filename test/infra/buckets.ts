/**
 * What every bucket that holds health data or its trail shows on the synthesized stateful stack
 * (the attachments, audit and export buckets), asserted once for the infra tests:
 *
 *   statefulBucket(s, path)                 [logical id, resource] of a bucket by its construct path
 *   expectPrivateUnderDataKey(s, bucket)    SSE-KMS with the data key and a bucket key, all public access blocked
 *   expectTlsOnly(s, bucketId)              its own policy refuses plain HTTP and TLS below 1.2
 *   bucketPolicyStatements(s, bucketId)     the statements of its one bucket policy, for more specific checks
 */
import { expect } from 'vitest';
import { type CfnResource, type Json, oneByPath, resourcesOfType, type Synthesized } from './synth.ts';

/** A stateful-stack bucket by its construct path (e.g. "Stateful/AuditBucket/Resource"): [logical id, resource]. */
export const statefulBucket = (s: Synthesized, path: string): [string, CfnResource] =>
  oneByPath(s.templates.stateful, path);

export const expectPrivateUnderDataKey = (s: Synthesized, bucket: CfnResource) => {
  const [dataKeyId] = oneByPath(s.templates.stateful, 'Stateful/DataKey/Resource');
  expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
    {
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [dataKeyId, 'Arn'] },
      },
    },
  ]);
  expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
};

/** The statements of the bucket's policy: exactly one AWS::S3::BucketPolicy names the bucket. */
export const bucketPolicyStatements = (s: Synthesized, bucketId: string): Array<Record<string, Json>> => {
  const policies = resourcesOfType(s.templates.stateful, 'AWS::S3::BucketPolicy').filter(
    ([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  expect(policies).toHaveLength(1);
  return policies[0]?.[1].Properties.PolicyDocument.Statement;
};

export const expectTlsOnly = (s: Synthesized, bucketId: string) => {
  expect(bucketPolicyStatements(s, bucketId)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      }),
    ]),
  );
};
