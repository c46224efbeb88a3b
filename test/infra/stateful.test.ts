import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENDA_SOURCE, DEFAULT_BUS_NAME, EVENT_SOURCE } from '../../shared/config.ts';
import { IDEMPOTENCY_TABLE, INDEXES, KEY_ATTRIBUTES } from '../../shared/db/table-definition.ts';
import {
  oneByPath,
  resourcesOfType,
  SENDER_FROM_CONTEXT,
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

describe('DynamoDB table', () => {
  it('is the single table of table-definition.ts, on demand, with TTL on expiresAt', () => {
    const [pk, sk] = KEY_ATTRIBUTES;
    // The single table and the idempotency table (see 'idempotency table' below).
    prod.templates.stateful.resourceCountIs('AWS::DynamoDB::Table', 2);
    prod.templates.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'patient-messaging-prod',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: sk, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('has exactly the GSIs of INDEXES: string keys, their declared projections', () => {
    const [, table] = oneByPath(prod.templates.stateful, 'Stateful/Table/Resource');
    const gsis = table?.Properties.GlobalSecondaryIndexes;
    expect(gsis).toEqual(
      INDEXES.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection:
          index.projection.type === 'INCLUDE'
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection.attributes] }
            : { ProjectionType: index.projection.type },
      })),
    );
    for (const definition of table?.Properties.AttributeDefinitions ?? []) {
      expect(definition.AttributeType, definition.AttributeName).toBe('S');
    }
  });

  it('has point-in-time recovery and is encrypted with the customer-managed data key', () => {
    const [dataKeyId] = oneByPath(prod.templates.stateful, '/DataKey/Resource');
    prod.templates.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [dataKeyId, 'Arn'] },
      },
    });
  });

  it('has deletion protection in prod and is retained by CloudFormation in every stage', () => {
    prod.templates.stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    dev.templates.stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('is in a daily AWS Backup plan whose vault uses the data key', () => {
    const [tableId] = oneByPath(prod.templates.stateful, 'Stateful/Table/Resource');
    const [dataKeyId] = oneByPath(prod.templates.stateful, '/DataKey/Resource');
    prod.templates.stateful.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::GetAtt': [tableId, 'Arn'] }] }),
    });
    prod.templates.stateful.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [dataKeyId, 'Arn'] },
    });
    prod.templates.stateful.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({
        BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: 90 } })],
      }),
    });
  });
});

describe('idempotency table', () => {
  it('is Powertools’ layout: `<table>-idempotency`, key `id`, TTL on `expiration`, on demand', () => {
    const [, table] = oneByPath(prod.templates.stateful, '/IdempotencyTable/Resource');
    expect(table.Properties).toMatchObject({
      TableName: IDEMPOTENCY_TABLE.nameFor('patient-messaging-prod'),
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('is encrypted with the data key (it holds copies of first responses)', () => {
    const [dataKeyId] = oneByPath(prod.templates.stateful, '/DataKey/Resource');
    const [, table] = oneByPath(prod.templates.stateful, '/IdempotencyTable/Resource');
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [dataKeyId, 'Arn'] },
    });
  });

  it('follows the stage: retained and protected in prod, disposable in dev, never in the backup plan', () => {
    const [prodId, prodTable] = oneByPath(prod.templates.stateful, '/IdempotencyTable/Resource');
    expect(prodTable.DeletionPolicy).toBe('Retain');
    expect(prodTable.Properties.DeletionProtectionEnabled).toBe(true);
    const [, devTable] = oneByPath(dev.templates.stateful, '/IdempotencyTable/Resource');
    expect(devTable.DeletionPolicy).toBe('Delete');
    const selections = JSON.stringify(
      resourcesOfType(prod.templates.stateful, 'AWS::Backup::BackupSelection'),
    );
    expect(selections).not.toContain(prodId);
  });
});

describe('KMS keys', () => {
  it('are customer managed with rotation enabled', () => {
    const keys = resourcesOfType(prod.templates.stateful, 'AWS::KMS::Key');
    expect(keys).toHaveLength(2);
    for (const [id, key] of keys) expect(key.Properties.EnableKeyRotation, id).toBe(true);
  });

  it('keep the data key even in dev (the retained table needs it)', () => {
    dev.templates.stateful.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ Description: Match.stringLikeRegexp('DynamoDB table') }),
    });
    dev.templates.stateful.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Description: Match.stringLikeRegexp('log groups') }),
    });
  });

  it('grant the data key to no AWS service or wildcard principal without kms:ViaService (prod and dev)', () => {
    for (const synthesized of [prod, dev]) {
      const [, dataKey] = oneByPath(synthesized.templates.stateful, '/DataKey/Resource');
      const statements: { Principal?: unknown; Condition?: Record<string, Record<string, unknown>> }[] =
        dataKey?.Properties.KeyPolicy.Statement;
      const toServiceOrAnyone = statements.filter((statement) => {
        const principal = statement.Principal as { Service?: unknown; AWS?: unknown } | string | undefined;
        return (
          principal === '*' ||
          (typeof principal === 'object' &&
            (principal.Service !== undefined ||
              principal.AWS === '*' ||
              JSON.stringify(principal.AWS) === '["*"]'))
        );
      });
      // EventBridge, for the DLQs of agenda events (see 'dead-letter queues' in events.test.ts).
      expect(toServiceOrAnyone.length).toBeGreaterThan(0);
      for (const statement of toServiceOrAnyone) {
        const viaService = Object.values(statement.Condition ?? {}).find(
          (c) => c['kms:ViaService'] !== undefined,
        );
        expect(viaService?.['kms:ViaService'], JSON.stringify(statement)).toMatch(
          /^(sqs|dynamodb|logs|backup)\.eu-west-3\.amazonaws\.com$/,
        );
      }
    }
    prod.templates.stateful.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('DynamoDB'),
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'kms:ViaService': 'sqs.eu-west-3.amazonaws.com',
              },
            },
          }),
        ]),
      },
    });
  });

  it('let CloudWatch Logs use the ops key only for this account’s log groups', () => {
    prod.templates.stateful.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.eu-west-3.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('event bus', () => {
  it('is named patient-messaging and archived', () => {
    const [busId] = oneByPath(prod.templates.stateful, '/Bus/Resource');
    prod.templates.stateful.hasResourceProperties('AWS::Events::EventBus', { Name: DEFAULT_BUS_NAME });
    prod.templates.stateful.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      RetentionDays: 90,
    });
  });

  it("archives only the service's own events: never the agenda's (names, email, motive), in any stage", () => {
    for (const synthesized of [prod, dev]) {
      const archives = resourcesOfType(synthesized.templates.stateful, 'AWS::Events::Archive');
      expect(archives).toHaveLength(1);
      const pattern = archives[0]?.[1].Properties.EventPattern;
      expect(pattern).toEqual({ source: [EVENT_SOURCE] });
      expect(JSON.stringify(pattern)).not.toContain(AGENDA_SOURCE);
    }
  });
});

describe('Cognito', () => {
  it("has a strong password policy, optional TOTP MFA and enforced threat protection (patients' pool)", () => {
    prod.templates.stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'patient-messaging-prod',
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      DeletionProtection: 'ACTIVE',
    });
  });

  it('has an immutable custom attribute "role"', () => {
    prod.templates.stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'role', AttributeDataType: 'String', Mutable: false }),
      ]),
    });
  });

  it('has one public SRP client per pool, neither able to write custom:role', () => {
    const clients = resourcesOfType(prod.templates.stateful, 'AWS::Cognito::UserPoolClient');
    expect(clients).toHaveLength(2);
    const [patientPoolId] = oneByPath(prod.templates.stateful, 'Stateful/UserPool/Resource');
    const [professionalPoolId] = oneByPath(prod.templates.stateful, 'Stateful/ProfessionalPool/Resource');
    expect(clients.map(([, c]) => c.Properties.UserPoolId.Ref).sort()).toEqual(
      [patientPoolId, professionalPoolId].sort(),
    );
    for (const [id, { Properties: client }] of clients) {
      expect(client.GenerateSecret, id).toBe(false);
      expect(client.ExplicitAuthFlows, id).toContain('ALLOW_USER_SRP_AUTH');
      expect(client.ExplicitAuthFlows, id).not.toContain('ALLOW_USER_PASSWORD_AUTH');
      expect(client.AllowedOAuthFlows, id).toBeUndefined();
      expect(client.EnableTokenRevocation, id).toBe(true);
      expect(client.ReadAttributes, id).toContain('custom:role');
      expect(client.WriteAttributes, id).not.toContain('custom:role');
    }
  });

  it("keeps the patients' pool as it was: MFA optional, one-hour tokens", () => {
    const [, pool] = oneByPath(prod.templates.stateful, 'Stateful/UserPool/Resource');
    expect(pool?.Properties.MfaConfiguration).toBe('OPTIONAL');
    const [, client] = oneByPath(prod.templates.stateful, 'Stateful/UserPool/AppClient/Resource');
    expect(client?.Properties).toMatchObject({
      IdTokenValidity: 60,
      AccessTokenValidity: 60,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes' },
    });
  });
});

describe("Cognito: the professionals' pool (practitioners, assistants)", () => {
  it.each([
    ['prod', () => prod],
    ['dev', () => dev],
  ] as const)('requires TOTP MFA (no SMS, no email code) and enforces threat protection (%s)', (_, stage) => {
    const [, pool] = oneByPath(stage().templates.stateful, 'Stateful/ProfessionalPool/Resource');
    expect(pool?.Properties).toMatchObject({
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    expect(pool?.Properties.SmsConfiguration).toBeUndefined();
  });

  it('has a stronger password policy than the patients’ pool, with history, and is protected in prod', () => {
    const [, pool] = oneByPath(prod.templates.stateful, 'Stateful/ProfessionalPool/Resource');
    expect(pool?.Properties.Policies.PasswordPolicy).toEqual({
      MinimumLength: 14,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      PasswordHistorySize: 12,
      TemporaryPasswordValidityDays: 1,
    });
    expect(pool?.Properties.DeletionProtection).toBe('ACTIVE');
    expect(pool?.Properties.Schema).toContainEqual(
      expect.objectContaining({ Name: 'role', AttributeDataType: 'String', Mutable: false }),
    );
  });

  it('issues 15-minute ID and access tokens, refresh tokens of at most 12 hours, and can revoke them', () => {
    const [, client] = oneByPath(prod.templates.stateful, 'Stateful/ProfessionalPool/AppClient/Resource');
    const perUnit: Record<string, number> = { seconds: 1 / 60, minutes: 1, hours: 60, days: 24 * 60 };
    const minutes = (value: number, unit: string) => value * (perUnit[unit] ?? Number.NaN);
    const p = client?.Properties;
    expect(minutes(p.IdTokenValidity, p.TokenValidityUnits.IdToken)).toBe(15);
    expect(minutes(p.AccessTokenValidity, p.TokenValidityUnits.AccessToken)).toBe(15);
    expect(minutes(p.RefreshTokenValidity, p.TokenValidityUnits.RefreshToken)).toBeLessThanOrEqual(12 * 60);
    expect(p.EnableTokenRevocation).toBe(true);
    expect(p.PreventUserExistenceErrors).toBe('ENABLED');
  });
});

describe('SES', () => {
  it('verifies the sender address from context and attaches the configuration set', () => {
    const [configSetId] = oneByPath(prod.templates.stateful, '/ConfigurationSet/Resource');
    prod.templates.stateful.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: SENDER_FROM_CONTEXT,
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: configSetId } },
    });
    prod.templates.stateful.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'patient-messaging-prod',
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    });
  });

  it('defaults the sender to no-reply@example.com', () => {
    dev.templates.stateful.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'no-reply@example.com',
    });
  });
});
