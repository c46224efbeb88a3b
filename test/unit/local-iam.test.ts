/**
 * The local IAM enforcement: the policy evaluation, and what a function's SDK
 * clients answer when its declaration does not allow a call — AWS's
 * AccessDeniedException, thrown before anything reaches the (local) service.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AppointmentBooked, MessageSent, ThreadStarted } from '../../events/index.ts';
import { iamEnforcement } from '../../local/iam-enforcement.ts';
import { keys } from '../../shared/db/keys.ts';
import { type FunctionDeclaration, httpFunction } from '../../shared/function-model/declaration.ts';
import { evaluate } from '../../shared/function-model/iam-evaluation.ts';
import { type PolicyStatement, serviceResources } from '../../shared/function-model/permissions.ts';
import { createOutbox } from '../../shared/repositories/outbox-repository.ts';

describe('IAM policy evaluation', () => {
  const allow: PolicyStatement = {
    sid: 'A',
    effect: 'Allow',
    actions: ['dynamodb:GetItem', 'dynamodb:Put*'],
    resources: ['arn:aws:dynamodb:eu-west-3:1:table/t'],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PRAC#*'] } },
  };
  const request = (action: string, pk: string, resource = 'arn:aws:dynamodb:eu-west-3:1:table/t') => ({
    action,
    resource,
    context: { 'dynamodb:LeadingKeys': [pk] },
  });

  it('allows a matching action, resource and condition; wildcards in actions are case-insensitive', () => {
    expect(evaluate([allow], request('dynamodb:GetItem', 'PRAC#dr-1'))).toBe('allowed');
    expect(evaluate([allow], request('DynamoDB:putitem', 'PRAC#dr-1'))).toBe('allowed');
  });

  it('denies implicitly what no statement allows: another action, resource or partition', () => {
    expect(evaluate([allow], request('dynamodb:DeleteItem', 'PRAC#dr-1'))).toBe('implicitDeny');
    expect(
      evaluate([allow], request('dynamodb:GetItem', 'PRAC#dr-1', 'arn:aws:dynamodb:eu-west-3:1:table/u')),
    ).toBe('implicitDeny');
    expect(evaluate([allow], request('dynamodb:GetItem', 'THREAD#t-1'))).toBe('implicitDeny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    const deny: PolicyStatement = { ...allow, sid: 'D', effect: 'Deny', conditions: undefined };
    expect(evaluate([allow, deny], request('dynamodb:GetItem', 'PRAC#dr-1'))).toBe('explicitDeny');
  });

  it('treats a single-valued operator on a missing key as false, and refuses operators it cannot evaluate', () => {
    const onSource: PolicyStatement = {
      sid: 'E',
      effect: 'Allow',
      actions: ['events:PutEvents'],
      resources: ['*'],
      conditions: { StringEquals: { 'events:source': ['patient-messaging'] } },
    };
    expect(evaluate([onSource], { action: 'events:PutEvents', resource: 'x' })).toBe('implicitDeny');
    expect(
      evaluate([onSource], {
        action: 'events:PutEvents',
        resource: 'x',
        context: { 'events:source': ['agenda'] },
      }),
    ).toBe('implicitDeny');
    const odd = { ...onSource, conditions: { DateGreaterThan: { 'aws:CurrentTime': ['2020'] } } };
    expect(() => evaluate([odd], { action: 'events:PutEvents', resource: 'x' })).toThrow(/not supported/);
  });
});

const FIXED = {
  ids: { next: () => ulid() },
  clock: { now: () => new Date('2026-12-01T09:00:00.000Z') },
};
const THREAD_STARTED = {
  threadId: 't-1',
  practitionerId: 'dr-1',
  patientId: 'pat-1',
  origin: 'patient',
  appointmentId: null,
  startedAt: '2026-12-01T09:00:00.000Z',
};
const MESSAGE_SENT = {
  threadId: 't-1',
  messageId: 'm-1',
  practitionerId: 'dr-1',
  patientId: 'pat-1',
  replyPolicy: 'none',
  sentAt: '2026-12-01T09:00:00.000Z',
};

const RESOURCES = serviceResources({
  partition: 'aws',
  region: 'eu-west-3',
  accountId: '000000000000',
  tableName: 'pm',
  idempotencyTableName: 'pm-idempotency',
  busName: 'patient-messaging',
  senderAddress: 'no-reply@example.com',
  configurationSetName: 'pm-emails',
});

const declaration = (access: FunctionDeclaration['access']) =>
  httpFunction({
    name: 'test-function',
    summary: 'A function of this test',
    method: 'POST',
    path: '/v1/practitioner/x',
    role: 'practitioner',
    responses: { 200: z.unknown() },
    access,
  });

/** Clients of one declared function, decorated like the local stack does; calls that pass get a canned answer. */
const clientsOf = (access: FunctionDeclaration['access']) => {
  const enforcement = iamEnforcement({
    account: { region: 'eu-west-3', accountId: '000000000000' },
    resources: RESOURCES,
    declarations: [],
  });
  const decl = declaration(access);
  // Stands in for the network: whatever the enforcement lets through answers an empty success.
  const answer = (client: { middlewareStack: { add: (...args: never[]) => void } }, output: object) =>
    (client.middlewareStack.add as (m: unknown, o: unknown) => void)(
      () => async () => ({ output: { $metadata: {}, ...output } }),
      { step: 'serialize', priority: 'high', name: 'cannedAnswer' },
    );
  const raw = new DynamoDBClient({
    region: 'eu-west-3',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  enforcement.decorate('dynamodb', raw, decl);
  answer(raw, {});
  const events = new EventBridgeClient({
    region: 'eu-west-3',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  enforcement.decorate('events', events, decl);
  answer(events, { FailedEntryCount: 0, Entries: [] });
  const ses = new SESv2Client({
    region: 'eu-west-3',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  enforcement.decorate('ses', ses, decl);
  answer(ses, { MessageId: 'm-1' });
  return { doc: DynamoDBDocumentClient.from(raw), events, ses };
};

const denied = async (call: Promise<unknown>) => {
  const error = (await call.then(
    () => null,
    (e: unknown) => e,
  )) as { name: string; $fault: string; $metadata: { httpStatusCode: number }; message: string } | null;
  expect(error, 'the call should have been refused').not.toBeNull();
  expect(error?.name).toBe('AccessDeniedException');
  expect(error?.$fault).toBe('client');
  expect(error?.$metadata.httpStatusCode).toBe(400);
  return error?.message ?? '';
};

describe('a function’s DynamoDB client', () => {
  const { doc } = clientsOf({ table: { read: ['thread', 'message'], appendsAudit: true } });

  it('reads the kinds it declares', async () => {
    await expect(
      doc.send(new GetCommand({ TableName: 'pm', Key: keys.thread('t-1') })),
    ).resolves.toBeDefined();
  });

  it('refuses a write it does not declare, with the message AWS gives', async () => {
    const message = await denied(
      doc.send(new PutCommand({ TableName: 'pm', Item: { ...keys.thread('t-1'), status: 'open' } })),
    );
    expect(message).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/test-function-role/test-function is not authorized to perform: ' +
        'dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-3:000000000000:table/pm because no ' +
        'identity-based policy allows the dynamodb:PutItem action',
    );
  });

  it('appends audit entries with PutItem only, never updates one', async () => {
    const entry = { pk: 'AUDIT#THREAD#t-1', sk: '2026-12-01T00:00:00.000Z#01J' };
    await expect(doc.send(new PutCommand({ TableName: 'pm', Item: entry }))).resolves.toBeDefined();
    await denied(
      doc.send(
        new UpdateCommand({
          TableName: 'pm',
          Key: entry,
          UpdateExpression: 'SET expiresAt = :past',
          ExpressionAttributeValues: { ':past': 0 },
        }),
      ),
    );
  });

  it('refuses a whole transaction when one of its items is not allowed', async () => {
    const message = await denied(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'pm', Item: { pk: 'AUDIT#THREAD#t-1', sk: 'x#1' } } },
            {
              Update: {
                TableName: 'pm',
                Key: keys.practitionerCounters('dr-1'),
                UpdateExpression: 'ADD n :one',
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
          ],
        }),
      ),
    );
    expect(message).toContain('dynamodb:UpdateItem');
  });

  it('refuses a kind sharing an allowed partition when the declaration does not name it (local check)', async () => {
    const { doc: settingsReader } = clientsOf({ table: { read: ['settings'] } });
    await expect(
      settingsReader.send(new GetCommand({ TableName: 'pm', Key: keys.practitionerSettings('dr-1') })),
    ).resolves.toBeDefined();
    const message = await denied(
      settingsReader.send(new GetCommand({ TableName: 'pm', Key: keys.template('dr-1', 'tpl-1') })),
    );
    expect(message).toContain('local check: a read of "template" items');
  });

  it('writes outbox items only with the events the declaration emits (local check)', async () => {
    const { doc: emitter } = clientsOf({ table: { read: ['thread'] }, emits: [ThreadStarted] });
    const outboxItem = (...detailTypes: string[]) =>
      createOutbox({ client: emitter, tableName: 'pm' }, FIXED).items(
        detailTypes.map((detailType) => ({
          definition: detailType === ThreadStarted.detailType ? ThreadStarted : MessageSent,
          data: detailType === ThreadStarted.detailType ? THREAD_STARTED : MESSAGE_SENT,
        })),
      );
    await expect(
      emitter.send(new TransactWriteCommand({ TransactItems: outboxItem(ThreadStarted.detailType) })),
    ).resolves.toBeDefined();
    const message = await denied(
      emitter.send(
        new TransactWriteCommand({
          TransactItems: outboxItem(ThreadStarted.detailType, MessageSent.detailType),
        }),
      ),
    );
    expect(message).toContain(`an outbox item of "${MessageSent.detailType}"`);
  });

  it('refuses Scan and an index it does not declare', async () => {
    await denied(doc.send(new ScanCommand({ TableName: 'pm' })));
    await denied(
      doc.send(
        new QueryCommand({
          TableName: 'pm',
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': 'PRAC#dr-1#THREADS' },
        }),
      ),
    );
  });
});

describe('a function’s EventBridge and SES clients', () => {
  const { events, ses } = clientsOf({ publishes: [MessageSent], sendsEmail: true });
  const entry = (source: string, detailType: string) => ({
    Source: source,
    DetailType: detailType,
    Detail: '{}',
    EventBusName: 'patient-messaging',
  });

  it('puts the events it declares on the service bus', async () => {
    await expect(
      events.send(new PutEventsCommand({ Entries: [entry('patient-messaging', 'MessageSent')] })),
    ).resolves.toBeDefined();
  });

  it('cannot forge the agenda’s events, publish an undeclared one, or use another bus', async () => {
    await denied(
      events.send(new PutEventsCommand({ Entries: [entry('agenda', AppointmentBooked.detailType)] })),
    );
    await denied(
      events.send(new PutEventsCommand({ Entries: [entry('patient-messaging', ThreadStarted.detailType)] })),
    );
    await denied(
      events.send(
        new PutEventsCommand({
          Entries: [{ ...entry('patient-messaging', 'MessageSent'), EventBusName: 'default' }],
        }),
      ),
    );
  });

  it('sends email only as the sender, through the configuration set', async () => {
    const email = (from: string) =>
      new SendEmailCommand({
        FromEmailAddress: from,
        ConfigurationSetName: 'pm-emails',
        Destination: { ToAddresses: ['patient@example.org'] },
        Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
      });
    await expect(ses.send(email('no-reply@example.com'))).resolves.toBeDefined();
    await denied(ses.send(email('someone-else@example.com')));
  });

  it('a function not declared an email sender cannot send', async () => {
    const { ses: quiet } = clientsOf({ publishes: [MessageSent] });
    await denied(
      quiet.send(
        new SendEmailCommand({
          FromEmailAddress: 'no-reply@example.com',
          Destination: { ToAddresses: ['patient@example.org'] },
          Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
        }),
      ),
    );
  });
});
