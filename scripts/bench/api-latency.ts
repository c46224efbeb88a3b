/**
 * API latency through the local stack, next to the bare DynamoDB calls each route
 * must make (docs/data-model.md), both measured here in the same run; and what
 * each route really asks of DynamoDB (round-trips, items, capacity), counted by
 * the SDK middleware of ./dynamodb-meter.ts on the functions' own client.
 *
 * The bare calls reuse real items written by the API (cloned under fresh ids), so
 * both sides move items of the same size.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { MessageReceived } from '../../events/index.ts';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { type ItemKey, inboxKeys, keys, threadPageRange } from '../../shared/db/keys.ts';
import type { AuditEntry } from '../../shared/domain/audit.ts';
import { toAuditItem } from '../../shared/repositories/audit-repository.ts';
import { toOutboxItem } from '../../shared/repositories/outbox-repository.ts';
import { event } from '../../shared/runtime/publisher.ts';
import type { DynamoCall, DynamoMeter } from './dynamodb-meter.ts';
import { progress } from './report.ts';

type Json = Record<string, unknown>;
type Role = 'practitioner' | 'patient' | 'assistant';

export interface RouteRun {
  label: string;
  route: string;
  /** Client-side latency of each measured request, ms. */
  latencies: number[];
  /** The function's own duration for each request (the local gateway's Server-Timing), ms. */
  functionMs: number[];
  /** The DynamoDB calls of each measured request. */
  calls: DynamoCall[][];
  /** Answers other than the expected status. */
  failures: number;
  /** Round-trips the route must make (docs/data-model.md), when known. */
  mustRoundTrips?: number;
  /** What the bare baseline does, and its latencies. */
  bare?: { description: string; latencies: number[] };
  /** The same route with the practitioner's own token (label of that run): an assistant's run (SPEC 11.2). */
  sameRouteAs?: string;
}

/** The bare DynamoDB calls a route is compared with, and what they are. */
interface Bare {
  description: string;
  work: (i: number) => Promise<unknown>;
}

export interface ApiBenchOptions {
  apiUrl: string;
  token: (sub: string, role: Role) => Promise<string>;
  doc: DynamoDBDocumentClient;
  tableName: string;
  meter: DynamoMeter;
  iterations: number;
  warmup: number;
}

const DR = 'bench-dr';
const PATIENT_COUNT = 20;
const patientId = (i: number) => `bench-pat-${i % PATIENT_COUNT}`;
const MESSAGE =
  'Bonjour docteur, pouvez-vous renouveler mon ordonnance pour le mois prochain ? Merci beaucoup.';
const REPLY = 'Bonjour, oui : passez la prendre au cabinet demain après 14h. Bonne journée.';

const has = (method: string, path: string) =>
  FUNCTIONS.some((f) => f.trigger === 'http' && f.method === method && f.path === path);

export const benchApi = async (options: ApiBenchOptions): Promise<RouteRun[]> => {
  const { apiUrl, doc, tableName: TableName, meter, iterations, warmup } = options;
  const drToken = await options.token(DR, 'practitioner');
  const patientTokens = await Promise.all(
    Array.from({ length: PATIENT_COUNT }, (_, i) => options.token(patientId(i), 'patient')),
  );

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const started = performance.now();
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        ...headers,
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    const timing = /function;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
    return {
      status: res.status,
      ms,
      functionMs: timing ? Number(timing[1]) : Number.NaN,
      body: text ? (JSON.parse(text) as Json) : null,
    };
  };

  /**
   * Runs `warmup` + `iterations` sequential requests; only the measured ones are kept.
   * With `bare`, each request is followed by the bare calls it is compared with: the two
   * alternate, so a machine busy for a moment slows both sides alike.
   */
  const measure = async (
    label: string,
    route: string,
    expected: number,
    request: (i: number) => Promise<{ status: number; ms: number; functionMs: number; body: Json | null }>,
    options: { count?: number; warmup?: number; bare?: Bare; mustRoundTrips?: number } = {},
  ): Promise<RouteRun & { bodies: Array<Json | null> }> => {
    const { count = iterations, warmup: warmupCount = warmup, bare } = options;
    progress(
      `API ${label}: ${warmupCount} warm-up + ${count} requests${bare ? ', each with its bare calls' : ''}`,
    );
    const run: RouteRun & { bodies: Array<Json | null> } = {
      label,
      route,
      latencies: [],
      functionMs: [],
      calls: [],
      failures: 0,
      bodies: [],
      ...(options.mustRoundTrips !== undefined && { mustRoundTrips: options.mustRoundTrips }),
      ...(bare && { bare: { description: bare.description, latencies: [] } }),
    };
    for (let i = 0; i < warmupCount + count; i += 1) {
      meter.take();
      const res = await request(i);
      const calls = meter.take();
      let bareMs = 0;
      if (bare) {
        const started = performance.now();
        await bare.work(i);
        bareMs = performance.now() - started;
        meter.take();
      }
      if (i < warmupCount) continue;
      run.latencies.push(res.ms);
      run.functionMs.push(res.functionMs);
      run.calls.push(calls);
      run.bodies.push(res.body);
      run.bare?.latencies.push(bareMs);
      if (res.status !== expected) run.failures += 1;
    }
    return run;
  };

  // --- the practitioner and their patient base ---------------------------------
  await call('PATCH', '/v1/practitioner/settings', drToken, { displayName: 'Dr Bench' });
  for (let i = 0; i < PATIENT_COUNT; i += 1) {
    const res = await call('PUT', `/v1/practitioner/patients/${patientId(i)}`, drToken, {
      firstName: 'Camille',
      lastName: `Bench ${i}`,
      email: `${patientId(i)}@example.org`,
    });
    if (res.status >= 300) throw new Error(`bench setup: PUT patient answered ${res.status}`);
  }

  const runs: RouteRun[] = [];
  const sendRequest = (i: number) =>
    call('POST', '/v1/patient/threads', patientTokens[i % PATIENT_COUNT] as string, {
      practitionerId: DR,
      body: MESSAGE,
    });

  // A first request gives the real items the bare calls clone (same sizes as the routes').
  const first = await sendRequest(0);
  const firstThreadId = (first.body?.thread as Json | undefined)?.id;
  if (typeof firstThreadId !== 'string') throw new Error(`bench setup: a send answered ${first.status}`);
  const sample = await doc.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.thread(firstThreadId).pk },
    }),
  );
  const threadTemplate = sample.Items?.find((item) => item.sk === 'THREAD') as Json;
  const messageTemplate = sample.Items?.find((item) => String(item.sk).startsWith('MSG#')) as Json;
  const cloneThread = (id: string, version = 1) => ({
    ...threadTemplate,
    ...keys.thread(id),
    id,
    version,
  });
  const cloneMessage = (threadId: string) => {
    const id = ulid();
    return { ...messageTemplate, ...keys.message(threadId, id), id, threadId };
  };
  const counters = keys.practitionerCounters(DR);
  // The audit entry and the outbox item every change writes in its transaction, built by the
  // code the routes use (their content is ids only: same size as the routes').
  const auditPut = (threadId: string, action: AuditEntry['action']) => ({
    Put: {
      TableName,
      Item: toAuditItem(
        {
          action,
          objects: { threadId, practitionerId: DR, patientId: patientId(0), messageId: ulid() },
          details: { sender: 'patient' },
          subject: { kind: 'thread', threadId },
          actor: { role: 'patient', id: patientId(0) },
          at: new Date().toISOString(),
          requestId: ulid(),
        },
        ulid(),
      ),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  const outboxPut = (threadId: string, count: number) => ({
    Put: {
      TableName,
      Item: toOutboxItem(
        Array.from({ length: count }, () =>
          event(MessageReceived, {
            threadId,
            messageId: ulid(),
            practitionerId: DR,
            patientId: patientId(0),
            receivedAt: new Date().toISOString(),
          }),
        ),
        { changeId: ulid(), eventIds: ulid, occurredAt: new Date().toISOString(), correlationId: ulid() },
      ),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  const check = (Key: ItemKey, ConditionExpression: string, values?: Json) => ({
    ConditionCheck: {
      TableName,
      Key,
      ConditionExpression,
      ...(values && { ExpressionAttributeValues: values }),
    },
  });
  const counterAdd = (Key: ItemKey, expression: string) => ({
    Update: {
      TableName,
      Key,
      UpdateExpression: `${expression}, counterVersion :one`,
      ExpressionAttributeValues: { ':one': 1 },
    },
  });

  // --- send: a patient opens a request ------------------------------------------
  const sendBare: Bare = {
    description:
      'BatchGetItem(settings, record) + TransactWriteItems(check record, check settings, put thread, put message, ' +
      'add counters, put audit entry, put outbox item)',
    work: async (i) => {
      const threadId = ulid();
      await doc.send(
        new BatchGetCommand({
          RequestItems: {
            [TableName]: {
              Keys: [keys.practitionerSettings(DR), keys.patientRecord(DR, patientId(i))],
              ConsistentRead: true,
            },
          },
        }),
      );
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            check(keys.patientRecord(DR, patientId(i)), 'attribute_exists(pk)'),
            check(keys.practitionerSettings(DR), 'attribute_not_exists(controlsVersion)'),
            {
              Put: {
                TableName,
                Item: cloneThread(threadId),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName,
                Item: cloneMessage(threadId),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            counterAdd(counters, 'ADD untreatedMessages :one, unreadThreads :one, openThreads :one'),
            auditPut(threadId, 'thread.started'),
            outboxPut(threadId, 2),
          ],
        }),
      );
    },
  };
  const send = await measure('send (patient request)', 'POST /v1/patient/threads', 201, sendRequest, {
    bare: sendBare,
    mustRoundTrips: 2,
  });
  runs.push(send);
  const threadIds = send.bodies
    .map((b) => (b?.thread as Json | undefined)?.id)
    .filter((id): id is string => typeof id === 'string');
  if (threadIds.length < PATIENT_COUNT) throw new Error('bench: the send route did not create threads');
  const bareThreads = Array.from({ length: PATIENT_COUNT }, () => ulid());
  for (const id of bareThreads) await doc.send(new PutCommand({ TableName, Item: cloneThread(id) }));

  /** GetItem of a thread (consistent), and the Put that writes it back one version up if still open. */
  const readForUpdate = async (threadId: string) => {
    const { Item } = await doc.send(
      new GetCommand({ TableName, Key: keys.thread(threadId), ConsistentRead: true }),
    );
    const version = Number(Item?.version ?? 1);
    return {
      Put: {
        TableName,
        Item: { ...Item, version: version + 1 },
        ConditionExpression: '#v = :v AND #s = :open',
        ExpressionAttributeNames: { '#v': 'version', '#s': 'status' },
        ExpressionAttributeValues: { ':v': version, ':open': 'open' },
      },
    };
  };

  // --- reply: the practitioner answers ------------------------------------------
  const replyBare: Bare = {
    description:
      'GetItem(thread) + TransactWriteItems(put thread if version, put message, add patient counters, ' +
      'put audit entry, put outbox item)',
    work: async (i) => {
      const threadId = bareThreads[i % PATIENT_COUNT] as string;
      const threadPut = await readForUpdate(threadId);
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            threadPut,
            {
              Put: {
                TableName,
                Item: cloneMessage(threadId),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            counterAdd(keys.patientCounters(patientId(i)), 'ADD unreadMessages :one'),
            auditPut(threadId, 'message.sent'),
            outboxPut(threadId, 1),
          ],
        }),
      );
    },
  };
  const reply = await measure(
    'reply (practitioner)',
    'POST /v1/practitioner/threads/{threadId}/messages',
    201,
    (i) =>
      call('POST', `/v1/practitioner/threads/${threadIds[i % PATIENT_COUNT]}/messages`, drToken, {
        body: REPLY,
        replyPolicy: 'until_closed',
      }),
    { bare: replyBare, mustRoundTrips: 2 },
  );
  runs.push(reply);

  // --- patient write: a message in an open thread ------------------------------------
  const writeBare: Bare = {
    description:
      'GetItem(thread) + TransactWriteItems(check record not blocked, check messaging open, put thread if ' +
      'version, put message, add counters, put audit entry, put outbox item)',
    work: async (i) => {
      const threadId = bareThreads[i % PATIENT_COUNT] as string;
      const threadPut = await readForUpdate(threadId);
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            check(keys.patientRecord(DR, patientId(i)), 'attribute_not_exists(blocked) OR blocked = :false', {
              ':false': false,
            }),
            check(keys.practitionerSettings(DR), 'attribute_not_exists(inboxOpen) OR inboxOpen = :true', {
              ':true': true,
            }),
            threadPut,
            {
              Put: {
                TableName,
                Item: cloneMessage(threadId),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            counterAdd(counters, 'ADD untreatedMessages :one, unreadThreads :one'),
            auditPut(threadId, 'message.sent'),
            outboxPut(threadId, 1),
          ],
        }),
      );
    },
  };
  const write = await measure(
    'patient write',
    'POST /v1/patient/threads/{threadId}/messages',
    201,
    (i) =>
      call(
        'POST',
        `/v1/patient/threads/${threadIds[i % PATIENT_COUNT]}/messages`,
        patientTokens[i % PATIENT_COUNT] as string,
        { body: MESSAGE },
      ),
    { bare: writeBare, mustRoundTrips: 2 },
  );
  runs.push(write);

  // --- inbox page ----------------------------------------------------------------
  const inboxBare: Bare = {
    description: 'Query gsi1 newest first, Limit 21',
    work: () =>
      doc.send(
        new QueryCommand({
          TableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': inboxKeys.practitionerAll(DR) },
          ScanIndexForward: false,
          Limit: 21,
        }),
      ),
  };
  const inbox = await measure(
    'inbox page (20 threads)',
    'GET /v1/practitioner/threads',
    200,
    () => call('GET', '/v1/practitioner/threads?limit=20', drToken),
    { bare: inboxBare, mustRoundTrips: 1 },
  );
  runs.push(inbox);

  // --- thread view ------------------------------------------------------------------
  const viewed = threadIds[0] as string;
  const viewBare: Bare = {
    description:
      'Query pk = THREAD#id AND sk BETWEEN MSG# AND THREAD, newest first, Limit 52 (consistent), beside ' +
      'TransactWriteItems(check thread owner, put audit entry)',
    work: () =>
      Promise.all([
        doc.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': keys.thread(viewed).pk,
              ':from': threadPageRange.all.from,
              ':to': threadPageRange.all.to,
            },
            ScanIndexForward: false,
            Limit: 52,
            ConsistentRead: true,
          }),
        ),
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              check(keys.thread(viewed), 'practitionerId = :dr', { ':dr': DR }),
              auditPut(viewed, 'thread.viewed'),
            ],
          }),
        ),
      ]),
  };
  const view = await measure(
    'thread view',
    'GET /v1/practitioner/threads/{threadId}',
    200,
    () => call('GET', `/v1/practitioner/threads/${viewed}`, drToken),
    { bare: viewBare, mustRoundTrips: 1 },
  );
  const messages = (view.bodies[0]?.messages as unknown[] | undefined)?.length ?? 0;
  view.label = `thread view (${messages} messages)`;
  runs.push(view);

  // --- summary ------------------------------------------------------------------------
  const summaryBare: Bare = {
    description: 'GetItem PRAC#id / COUNTERS',
    work: () => doc.send(new GetCommand({ TableName, Key: counters })),
  };
  const summary = await measure(
    'summary',
    'GET /v1/practitioner/summary',
    200,
    () => call('GET', '/v1/practitioner/summary', drToken),
    { bare: summaryBare, mustRoundTrips: 1 },
  );
  runs.push(summary);

  // --- the same routes with an assistant's token (SPEC 11.2): + the grant's consistent GetItem ---------
  const assistantToken = await options.token('bench-assistant', 'assistant');
  const granted = await call('PUT', '/v1/practitioner/delegates/bench-assistant', drToken, {
    displayName: 'Bench secretary',
    scopes: ['inbox'],
  });
  if (granted.status >= 300) throw new Error(`bench setup: PUT delegate answered ${granted.status}`);
  const onBehalf = { 'on-behalf-of': DR };
  const assistantInbox = await measure(
    'inbox page (20 threads), assistant',
    'GET /v1/practitioner/threads',
    200,
    () => call('GET', '/v1/practitioner/threads?limit=20', assistantToken, undefined, onBehalf),
    { bare: inboxBare, mustRoundTrips: 2 },
  );
  runs.push({ ...assistantInbox, sameRouteAs: inbox.label });
  const assistantSummary = await measure(
    'summary, assistant',
    'GET /v1/practitioner/summary',
    200,
    () => call('GET', '/v1/practitioner/summary', assistantToken, undefined, onBehalf),
    { bare: summaryBare, mustRoundTrips: 2 },
  );
  runs.push({ ...assistantSummary, sameRouteAs: summary.label });

  // --- more routes, round-trips only (fewer requests, 3 warm-up) -------------------------
  const few = Math.max(10, Math.round(iterations / 10));
  const extraWarmup = 3;
  // Each treat closes a thread: give it threads nobody else uses (the reply pool is the first PATIENT_COUNT).
  const treatable = threadIds.slice(PATIENT_COUNT);
  const patient0 = patientTokens[0] as string;
  const extra: Array<[string, string, string, number, (i: number) => ReturnType<typeof call>, number?]> = [
    [
      'settings',
      'GET',
      '/v1/practitioner/settings',
      200,
      () => call('GET', '/v1/practitioner/settings', drToken),
      1,
    ],
    [
      'patient summary',
      'GET',
      '/v1/patient/summary',
      200,
      () => call('GET', '/v1/patient/summary', patient0),
      1,
    ],
    [
      'patient inbox page',
      'GET',
      '/v1/patient/threads',
      200,
      () => call('GET', '/v1/patient/threads?limit=20', patient0),
      // The thread's practitioner is known once the thread is read: their controls come second.
      2,
    ],
    [
      'patient thread view',
      'GET',
      '/v1/patient/threads/{threadId}',
      200,
      () => call('GET', `/v1/patient/threads/${threadIds[0]}`, patient0),
      // The thread's practitioner is known once the thread is read: their controls come second.
      2,
    ],
    [
      'patient read',
      'POST',
      '/v1/patient/threads/{threadId}/read',
      200,
      (i) =>
        call(
          'POST',
          `/v1/patient/threads/${threadIds[i % PATIENT_COUNT]}/read`,
          patientTokens[i % PATIENT_COUNT] as string,
        ),
      2,
    ],
    [
      'practitioner read',
      'POST',
      '/v1/practitioner/threads/{threadId}/read',
      200,
      (i) => call('POST', `/v1/practitioner/threads/${threadIds[i % threadIds.length]}/read`, drToken),
      2,
    ],
    [
      'treat',
      'POST',
      '/v1/practitioner/threads/{threadId}/treat',
      200,
      (i) =>
        call(
          'POST',
          `/v1/practitioner/threads/${treatable[i % Math.max(1, treatable.length)]}/treat`,
          drToken,
        ),
      2,
    ],
    [
      'patient messaging access',
      'GET',
      '/v1/patient/practitioners/{practitionerId}/messaging',
      200,
      () => call('GET', `/v1/patient/practitioners/${DR}/messaging`, patient0),
      1,
    ],
  ];
  for (const [label, method, path, expected, request, must] of extra) {
    if (!has(method, path)) continue;
    const count = label === 'treat' ? Math.min(few, treatable.length - extraWarmup) : few;
    if (count < 1) continue;
    if (label === 'treat') {
      // Safe treat: without lastSeenMessageId a treat needs the thread read first (not measured).
      for (const id of treatable.slice(0, count + extraWarmup)) {
        await call('POST', `/v1/practitioner/threads/${id}/read`, drToken);
      }
    }
    const run = await measure(label, `${method} ${path}`, expected, request, { count, warmup: extraWarmup });
    if (must !== undefined) run.mustRoundTrips = must;
    runs.push(run);
  }
  return runs.map(({ ...run }) => {
    delete (run as Partial<typeof send>).bodies;
    return run;
  });
};
