/**
 * The attachments on the synthesized templates (docs/adr/0016-attachments.md): the private bucket,
 * GuardDuty Malware Protection on it, the rules on the default bus, and who may do what with its
 * objects — the create routes sign uploads only, the download routes and the checker read only, the
 * remover deletes only, and nobody else touches the bucket; the TTL's deletions of attachment items reach
 * the outbox publisher (its stream filter), so their objects go with them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { DEFAULT_REGION } from '../../infra/config.ts';
import { expectPrivateUnderDataKey, expectTlsOnly, statefulBucket } from './buckets.ts';
import {
  asArray,
  functionLocation,
  oneByPath,
  resourcesOfType,
  roleStatements,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

let prod: Synthesized;
beforeAll(() => {
  prod = shared('prod');
}, SYNTH_TIMEOUT);

const bucket = () => statefulBucket(prod, 'Stateful/Attachments/Bucket/Resource');

describe('the attachments bucket', () => {
  it('SSE-KMS with the data key and a bucket key, public access blocked, versioned, logged, EventBridge on', () => {
    const [, resource] = bucket();
    expectPrivateUnderDataKey(prod, resource);
    const properties = resource.Properties;
    expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    const [logsId] = oneByPath(prod.templates.stateful, 'Stateful/AuditAccessLogs/Resource');
    expect(properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'attachments/',
    });
    expect(JSON.stringify(properties.BucketName)).toContain('patient-messaging-prod-attachments-');
  });

  it('lifecycle: noncurrent versions gone after a day, incomplete uploads aborted', () => {
    expect(bucket()[1].Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    ]);
  });

  it('its policy refuses plain HTTP and TLS below 1.2', () => {
    expectTlsOnly(prod, bucket()[0]);
  });
});

describe('GuardDuty Malware Protection for S3', () => {
  it('a plan on the bucket (attachments/), tagging its verdicts, with a role GuardDuty assumes', () => {
    const plans = resourcesOfType(prod.templates.stateful, 'AWS::GuardDuty::MalwareProtectionPlan');
    expect(plans).toHaveLength(1);
    const plan = plans[0]?.[1].Properties;
    expect(plan.ProtectedResource.S3Bucket).toEqual({
      BucketName: { Ref: bucket()[0] },
      ObjectPrefixes: ['attachments/'],
    });
    expect(plan.Actions).toEqual({ Tagging: { Status: 'ENABLED' } });
    const [roleId, role] = oneByPath(
      prod.templates.stateful,
      'Stateful/Attachments/MalwareProtectionRole/Resource',
    );
    expect(plan.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'malware-protection-plan.guardduty.amazonaws.com' },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("its role's policy is the documented one (GuardDuty User Guide), statement by statement, scoped to the bucket, its prefix, the managed rule and the key", () => {
    const [bucketId] = bucket();
    const [dataKeyId] = oneByPath(prod.templates.stateful, 'Stateful/DataKey/Resource');
    const [, role] = oneByPath(
      prod.templates.stateful,
      'Stateful/Attachments/MalwareProtectionRole/Resource',
    );
    expect(role.Properties.Policies).toHaveLength(1);
    const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
    const under = (suffix: string) => ({ 'Fn::Join': ['', [bucketArn, suffix]] });
    const managedRule = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:events:${DEFAULT_REGION}:`,
          { Ref: 'AWS::AccountId' },
          ':rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*',
        ],
      ],
    };
    // CDK writes a statement's actions sorted.
    const actions = (...names: string[]) => (names.length === 1 ? names[0] : [...names].sort());
    // The eight statements of "Create or update IAM role policy", in its order, with its Sids and actions.
    expect(role.Properties.Policies[0].PolicyDocument.Statement).toEqual([
      {
        Sid: 'AllowManagedRuleToSendS3EventsToGuardDuty',
        Effect: 'Allow',
        Action: actions('events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'),
        Resource: managedRule,
        Condition: { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } },
      },
      {
        Sid: 'AllowGuardDutyToMonitorEventBridgeManagedRule',
        Effect: 'Allow',
        Action: actions('events:DescribeRule', 'events:ListTargetsByRule'),
        Resource: managedRule,
      },
      {
        Sid: 'AllowPostScanTag',
        Effect: 'Allow',
        Action: actions(
          's3:PutObjectTagging',
          's3:GetObjectTagging',
          's3:PutObjectVersionTagging',
          's3:GetObjectVersionTagging',
        ),
        Resource: under('/attachments/*'),
      },
      {
        Sid: 'AllowEnableS3EventBridgeEvents',
        Effect: 'Allow',
        Action: actions('s3:PutBucketNotification', 's3:GetBucketNotification'),
        Resource: bucketArn,
      },
      {
        Sid: 'AllowPutValidationObject',
        Effect: 'Allow',
        Action: actions('s3:PutObject'),
        Resource: under('/malware-protection-resource-validation-object'),
      },
      {
        Sid: 'AllowCheckBucketOwnership',
        Effect: 'Allow',
        Action: actions('s3:ListBucket'),
        Resource: bucketArn,
      },
      {
        Sid: 'AllowMalwareScan',
        Effect: 'Allow',
        Action: actions('s3:GetObject', 's3:GetObjectVersion'),
        Resource: under('/attachments/*'),
      },
      {
        Sid: 'AllowDecryptForMalwareScan',
        Effect: 'Allow',
        Action: actions('kms:GenerateDataKey', 'kms:Decrypt'),
        Resource: { 'Fn::GetAtt': [dataKeyId, 'Arn'] },
        Condition: {
          StringLike: {
            'kms:ViaService': `s3.${DEFAULT_REGION}.amazonaws.com`,
          },
        },
      },
    ]);
  });

  it('the checker and the scan-result consumer hear S3 and GuardDuty on the default bus, for the attachments bucket only', () => {
    const rules = resourcesOfType(prod.templates.events, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    const checker = rules.find((r) => r.Description?.startsWith('attachment-uploaded-check'));
    const scan = rules.find((r) => r.Description?.startsWith('attachment-malware-scanned'));
    expect(checker?.EventBusName).toBe('default');
    expect(scan?.EventBusName).toBe('default');
    // The bucket's name as the stateful stack names it (the same literal, no export).
    const bucketName = bucket()[1].Properties.BucketName;
    expect(checker?.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix: 'attachments/' }] } },
    });
    expect(scan?.EventPattern).toEqual({
      source: ['aws.guardduty'],
      'detail-type': ['GuardDuty Malware Protection Object Scan Result'],
      detail: {
        s3ObjectDetails: { bucketName: [bucketName], objectKey: [{ prefix: 'attachments/' }] },
      },
    });
  });
});

describe('who may do what with the attachments', () => {
  const s3Actions = (name: string) => {
    const { template, scope } = functionLocation(prod, name);
    return roleStatements(template, scope)
      .filter((st) => JSON.stringify(st.Resource ?? '').includes('-attachments-'))
      .flatMap((st) => {
        expect(JSON.stringify(st.Resource)).toContain('/attachments/*');
        return asArray(st.Action).filter((a) => a.startsWith('s3:'));
      })
      .sort();
  };

  it('uploads signed by the create routes, GETs by the download routes and the checker, deletes by the remover', () => {
    const granted = Object.fromEntries(
      FUNCTIONS.map((f) => [f.name, s3Actions(f.name)]).filter(([, actions]) => (actions?.length ?? 0) > 0),
    );
    expect(granted).toEqual({
      'attachment-checker': ['s3:GetObject'],
      'attachment-remover': ['s3:DeleteObject'],
      'patient-create-attachment': ['s3:PutObject'],
      'patient-get-attachment': ['s3:GetObject'],
      'practitioner-create-attachment': ['s3:PutObject'],
      'practitioner-get-attachment': ['s3:GetObject'],
    });
  });

  it('the message-writing routes touch attachment items only, never the bucket (practitioner-reply included)', () => {
    for (const name of [
      'practitioner-reply',
      'practitioner-start-thread',
      'patient-write',
      'patient-start-thread',
    ]) {
      expect(s3Actions(name), name).toEqual([]);
    }
  });
});

describe('an attachment item the TTL deletes takes its object with it', () => {
  it("the outbox publisher's event source mapping lets through the TTL's REMOVEs of ATTACH#…/ATTACHMENT, keys only", () => {
    const [, mapping] = oneByPath(prod.templates.events, '/Consumers/outbox-publisher/StreamSource/Resource');
    const patterns = (mapping.Properties.FilterCriteria.Filters as Array<{ Pattern: string }>).map((f) =>
      JSON.parse(f.Pattern),
    );
    expect(patterns).toContainEqual({
      eventName: ['REMOVE'],
      userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
      dynamodb: { Keys: { pk: { S: [{ prefix: 'ATTACH#' }] }, sk: { S: ['ATTACHMENT'] } } },
    });
    // No other REMOVE: a function's delete wrote its own event, and no other kind leaves an object behind.
    expect(patterns.filter((p) => JSON.stringify(p.eventName ?? []).includes('REMOVE'))).toHaveLength(1);
    // The table's stream (NEW_IMAGE): a REMOVE carries the keys (ids), never the item's name or owner.
    const table = resourcesOfType(prod.templates.stateful, 'AWS::DynamoDB::Table').find(
      ([, t]) => t.Properties.TableName === 'patient-messaging-prod',
    );
    expect(table?.[1].Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(table?.[1].Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });

  it('the object is deleted by the remover on AttachmentRemoved, which the publisher may put', () => {
    const rules = resourcesOfType(prod.templates.events, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    const remover = rules.find((r) => r.Description?.startsWith('attachment-removed-delete-object'));
    expect(remover?.EventPattern).toEqual({
      source: [expect.any(String)],
      'detail-type': ['AttachmentRemoved'],
    });
    const { template, scope } = functionLocation(prod, 'outbox-publisher');
    const putEvents = roleStatements(template, scope).filter((st) =>
      asArray(st.Action).includes('events:PutEvents'),
    );
    expect(putEvents).toHaveLength(1);
  });
});
