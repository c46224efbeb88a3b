/**
 * The audit archive on the synthesized templates (docs/adr/0012-audit-object-lock.md): the Object Lock
 * bucket and its policy, and who may write to it — only the audit shipper, PutObject only, as a create.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import {
  bucketPolicyStatements,
  expectPrivateUnderDataKey,
  expectTlsOnly,
  statefulBucket,
} from './buckets.ts';
import {
  asArray,
  functionLocation,
  roleStatements,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

let prod: Synthesized;
let dev: Synthesized;
beforeAll(() => {
  prod = shared('prod');
  dev = shared('dev');
}, SYNTH_TIMEOUT);

const AUDIT_BUCKET = 'Stateful/AuditBucket/Resource';
const auditBucket = (s: Synthesized) => statefulBucket(s, AUDIT_BUCKET)[1];

describe('the audit bucket', () => {
  it('is under Object Lock COMPLIANCE for the audit retention (20 years in prod, 1 day in dev), versioned', () => {
    expect(auditBucket(prod).Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7305 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(auditBucket(dev).Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({
      Mode: 'COMPLIANCE',
      Days: 1,
    });
    expect(auditBucket(prod).DeletionPolicy).toBe('Retain');
  });

  it('is encrypted with the data key (SSE-KMS, bucket key), blocks public access, logs its accesses', () => {
    expectPrivateUnderDataKey(prod, auditBucket(prod));
    expect(auditBucket(prod).Properties.LoggingConfiguration.DestinationBucketName).toBeDefined();
  });

  it('its policy: TLS only, no put that is not a create, no delete (for every principal)', () => {
    const [bucketId] = statefulBucket(prod, AUDIT_BUCKET);
    expectTlsOnly(prod, bucketId);
    expect(bucketPolicyStatements(prod, bucketId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Condition: { Null: { 's3:if-none-match': 'true' } },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: expect.arrayContaining([
            's3:DeleteObject',
            's3:DeleteObjectVersion',
            's3:BypassGovernanceRetention',
          ]),
        }),
      ]),
    );
  });
});

describe('who may write to it', () => {
  /** A statement that reaches the audit bucket (or any bucket): the export bucket's grants are ADR 0013's. */
  const onAuditBucket = (st: { Resource?: unknown }) => {
    const resource = JSON.stringify(st.Resource ?? '');
    return resource.includes('-audit-') || resource === '"*"';
  };
  const s3Statements = (s: Synthesized, name: string) => {
    const { template, scope } = functionLocation(s, name);
    return roleStatements(template, scope).filter(
      (st) => asArray(st.Action).some((a) => a.startsWith('s3:')) && onAuditBucket(st),
    );
  };

  it('only the audit shipper has any S3 permission on the audit bucket', () => {
    const withS3 = FUNCTIONS.filter((f) => s3Statements(prod, f.name).length > 0).map((f) => f.name);
    expect(withS3).toEqual(['audit-shipper']);
  });

  it('the shipper: s3:PutObject only, under audit/ of the bucket, only with If-None-Match: *', () => {
    const statements = s3Statements(prod, 'audit-shipper');
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement?.Effect).toBe('Allow');
    expect(asArray(statement?.Action)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(statement?.Resource)).toContain('patient-messaging-prod-audit-');
    expect(JSON.stringify(statement?.Resource)).toContain('/audit/*');
    expect(Object.keys(statement?.Condition ?? {})).toEqual(['StringEquals']);
    expect(asArray(statement?.Condition?.StringEquals?.['s3:if-none-match'])).toEqual(['*']);
    const forbidden =
      /s3:(Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernanceRetention|PutBucket|\*)/;
    for (const f of FUNCTIONS) {
      const { template, scope } = functionLocation(prod, f.name);
      for (const st of roleStatements(template, scope).filter(onAuditBucket)) {
        expect(
          asArray(st.Action).filter((a) => forbidden.test(a)),
          f.name,
        ).toEqual([]);
      }
    }
  });

  it('the shipper reads the stream filtered on audit items, and is told the bucket name', () => {
    const { template } = functionLocation(prod, 'audit-shipper');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: 'AUDIT#' }] } } } }) }],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUDIT_BUCKET_NAME: Match.anyValue() }) },
    });
  });
});
