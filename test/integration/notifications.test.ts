/**
 * Notifications on DynamoDB Local with an injected clock, sending through a real
 * aws-ses-v2-local and reading what it stored (GET /store). Events are delivered
 * to the consumers' use cases by hand, the way RULES route them, as often as a
 * test wants (EventBridge delivers at least once).
 */
import { randomUUID } from 'node:crypto';
import { TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StoredEmail } from '../../local/ses-local.ts';
import { keys, notificationQueueKeys } from '../../shared/db/keys.ts';
import type { Mailer } from '../../shared/runtime/mailer.ts';
import {
  notifyPatientOfMessage,
  onPatientMessageReceived,
  onThreadTreated,
  runNotificationSweep,
} from '../../shared/use-cases/notifications.ts';
import {
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { getSettings, updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { retractMessage } from '../../shared/use-cases/practitioner-controls.ts';
import {
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { expectContentFree, useLocalSes } from '../support/mail.ts';
import {
  createTestContext,
  type FunctionName,
  type RecordedEvent,
  TEST_APP_BASE_URL,
  type TestContext,
  viewThenTreat,
} from './harness.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const ses = useLocalSes();

/** A real SES client whose first `failures` calls are throttled, as SES does past the sending rate. */
const throttledClient = (failures: number) => {
  const client = ses.client();
  let left = failures;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (left > 0) {
        left -= 1;
        throw new TooManyRequestsException({
          message: 'Maximum sending rate exceeded.',
          $metadata: { httpStatusCode: 429 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectSesThrottling' },
  );
  return client;
};

const inbox = ses.inbox;

/** Texts of this test's messages: none may appear in any email. */
const HEALTH_TEXTS = [
  'Douleur thoracique depuis hier soir',
  'Résultats de la prise de sang : glycémie 2,1 g/L',
  'Je suis enceinte de 8 semaines',
  'Renouvellement du traitement antidépresseur',
  'Angoisse la nuit, besoin de parler',
  'Vomissements persistants',
  'Éruption cutanée après antibiotique',
];
const healthText = (i: number) => HEALTH_TEXTS[i % HEALTH_TEXTS.length] as string;

const expectNoHealthData = (emails: StoredEmail[], patientNames: string[] = []) =>
  expectContentFree(emails, [...HEALTH_TEXTS, ...patientNames]);

let ctx: TestContext;
/** Events already handed to the consumers. */
let delivered = 0;

/**
 * Delivers the events published since the last call to the notification
 * consumers (MessageReceived, ThreadTreated, MessageSent), each `times` times,
 * the copies concurrently as duplicate deliveries would arrive.
 */
const deliver = async (times = 1) => {
  const batch = ctx.published.slice(delivered);
  delivered = ctx.published.length;
  const outcomes: string[] = [];
  for (const { detailType, data } of batch) {
    /** The notification outcome (ThreadTreated only maintains the index: no outcome). */
    const run = async (e: RecordedEvent['data']): Promise<string | null> => {
      switch (detailType) {
        case 'MessageReceived':
          return onPatientMessageReceived(ctx.as('notify-practitioner'), e as never);
        case 'ThreadTreated':
          await onThreadTreated(ctx.as('untreated-index'), e as never);
          return null;
        case 'MessageSent':
          return notifyPatientOfMessage(ctx.as('notify-patient'), e as never);
        default:
          return null;
      }
    };
    const results = await Promise.all(Array.from({ length: times }, () => run(data)));
    outcomes.push(...results.filter((r): r is string => r !== null));
  }
  return outcomes;
};

const published = (detailType: string) => ctx.published.filter((e) => e.detailType === detailType);

const newContext = async (options: { mailer?: Mailer } = {}) => {
  ctx = await createTestContext('2026-05-14T08:00:00.000Z', { mailer: options.mailer ?? ses.mailer() });
  delivered = 0;
  return ctx;
};

/**
 * A practitioner with their own address, a patient in their base. The record's
 * email is the one the practitioner typed (never used to send); `patientEmail`
 * is the patient's own verified address, recorded when they used the service (ADR 0010).
 */
const setup = async (options: { doc?: string; email?: string | null; displayName?: string } = {}) => {
  const doc = options.doc ?? `dr-${randomUUID().slice(0, 8)}`;
  const email = options.email === undefined ? `${doc}@cabinet.test` : options.email;
  const pat = `pat-${randomUUID().slice(0, 8)}`;
  await ctx.enrol(doc, pat, `${pat}@typed-by-practitioner.test`);
  await ctx.verifiedAddress(pat, `${pat}@patients.test`);
  await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
    email,
    ...(options.displayName && { displayName: options.displayName }),
  });
  return { doc, pat, email: email as string, patientEmail: `${pat}@patients.test` };
};

/** n patient messages to `doc` (one request, then follow-ups), a minute apart, each delivered once. */
const patientMessages = async (
  doc: string,
  pat: string,
  n: number,
  options: { threadId?: string; deliverEach?: boolean; times?: number } = {},
) => {
  let threadId = options.threadId;
  for (let i = 0; i < n; i++) {
    ctx.clock.advance(MINUTE);
    if (!threadId) {
      threadId = (
        await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(pat), {
          practitionerId: doc,
          body: healthText(i),
        })
      ).thread.id;
    } else {
      await writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), threadId, { body: healthText(i) });
    }
    if (options.deliverEach !== false) await deliver(options.times ?? 1);
  }
  return threadId as string;
};

const digestSlot = async (doc: string) =>
  (
    await ctx.db.client.send(
      new GetCommand({
        TableName: ctx.db.tableName,
        Key: keys.notificationSlot(doc, 'DIGEST'),
        ConsistentRead: true,
      }),
    )
  ).Item;

/** Every entry of the digest queue: all its gsi6 shards (and the legacy gsi5 partition, which must stay empty). */
const digestIndexEntries = async () => {
  const queries = [
    ...notificationQueueKeys.digestDueShards().map((shard) => ({ index: 'gsi6', pk: shard })),
    { index: 'gsi5', pk: notificationQueueKeys.legacy.digestDue },
  ];
  const pages = await Promise.all(
    queries.map(({ index, pk }) =>
      ctx.db.client.send(
        new QueryCommand({
          TableName: ctx.db.tableName,
          IndexName: index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': `${index}pk` },
          ExpressionAttributeValues: { ':pk': pk },
        }),
      ),
    ),
  );
  return pages.flatMap((page) => page.Items ?? []);
};

describe('the untreated digest, event-driven', () => {
  beforeEach(async () => {
    await newContext();
  });

  it('crossing 4 untreated messages sends one email with the count and the inbox link', async () => {
    const { doc, pat, email } = await setup();
    const threadId = await patientMessages(doc, pat, 3);
    expect(await inbox(email)).toHaveLength(0);

    await patientMessages(doc, pat, 1, { threadId });
    const emails = await inbox(email);
    expect(emails).toHaveLength(1);
    const [digest] = emails as [StoredEmail];
    expect(digest.subject).toBe('Messagerie patients : 4 messages de patients non traités');
    expect(digest.body.text).toContain(`${TEST_APP_BASE_URL}/messagerie?filtre=non-traites`);
    expect(digest.from).toBe('no-reply@patient-messaging.test');
    expectNoHealthData(emails, ['Camille', pat]);

    const slot = await digestSlot(doc);
    expect(slot).toMatchObject({ sesMessageId: digest.messageId, lastSentAt: ctx.clock.now().toISOString() });
    expect(slot?.claimId).toBeUndefined();
    const sent = published('UntreatedDigestSent');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.data).toMatchObject({
      practitionerId: doc,
      mode: 'threshold',
      trigger: 'message',
      untreatedMessages: 4,
    });
  });

  it('the 5th and 6th messages send nothing that week', async () => {
    const { doc, pat, email } = await setup();
    await patientMessages(doc, pat, 4);
    expect(await inbox(email)).toHaveLength(1);
    const threadId = published('MessageReceived')[0]?.data.threadId as string;
    await patientMessages(doc, pat, 2, { threadId });
    expect(await inbox(email)).toHaveLength(1);
    expect(published('UntreatedDigestSent')).toHaveLength(1);
  });

  it('treating everything, then crossing 4 again within the week, sends nothing', async () => {
    const { doc, pat, email } = await setup();
    const threadId = await patientMessages(doc, pat, 4);
    expect(await inbox(email)).toHaveLength(1);
    expect(await digestIndexEntries()).toHaveLength(1);

    ctx.clock.advance(DAY);
    await viewThenTreat(ctx, ctx.practitioner(doc), threadId);
    await deliver();
    // Below the threshold: out of the sweep index.
    expect(await digestIndexEntries()).toHaveLength(0);

    ctx.clock.advance(DAY);
    await patientMessages(doc, pat, 4);
    expect(await inbox(email)).toHaveLength(1);
    expect(await digestIndexEntries()).toHaveLength(1);
    // Another week later the sweep sends the second one.
    ctx.clock.advance(5 * DAY);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest.sent).toBe(1);
    expect(await inbox(email)).toHaveLength(2);
  });

  it('honours the threshold setting and takes a change into account at the next message', async () => {
    const { doc, pat, email } = await setup();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      notifications: { threshold: 2 },
    });
    const threadId = await patientMessages(doc, pat, 1);
    expect(await inbox(email)).toHaveLength(0);
    await patientMessages(doc, pat, 1, { threadId });
    const emails = await inbox(email);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toContain('2 messages');
  });

  it('a practitioner without any address burns nothing: the email goes once they give one', async () => {
    const { doc, pat } = await setup({ email: null });
    const threadId = await patientMessages(doc, pat, 4);
    expect(await digestSlot(doc)).toBeUndefined();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      notifications: { email: 'late@cabinet.test' },
    });
    await patientMessages(doc, pat, 1, { threadId });
    expect(await inbox('late@cabinet.test')).toHaveLength(1);
  });
});

describe('the scheduled sweep', () => {
  beforeEach(async () => {
    await newContext();
  });

  it('after 7 days it sends to who is still over the threshold, not to who went below', async () => {
    const still = await setup();
    const below = await setup();
    await patientMessages(still.doc, still.pat, 5);
    const belowThread = await patientMessages(below.doc, below.pat, 4);
    expect(await inbox(still.email)).toHaveLength(1);
    expect(await inbox(below.email)).toHaveLength(1);

    // Inside the week the sweep reads nothing at all: both entries sort after now.
    ctx.clock.advance(3 * DAY);
    const early = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(early.itemsRead).toBe(0);

    await viewThenTreat(ctx, ctx.practitioner(below.doc), belowThread);
    await deliver();
    ctx.clock.advance(4 * DAY + MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.itemsRead).toBe(1);
    expect(report.digest.sent).toBe(1);
    expect(await inbox(still.email)).toHaveLength(2);
    expect(await inbox(below.email)).toHaveLength(1);
    expect(published('UntreatedDigestSent').at(-1)?.data).toMatchObject({
      practitionerId: still.doc,
      trigger: 'sweep',
      untreatedMessages: 5,
    });

    // The next sweeps of that week read nothing: the entry moved to the new week's end.
    ctx.clock.advance(DAY);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).itemsRead).toBe(0);
  });

  it('a missed ThreadTreated cannot make it send: it re-checks the live counter and drops the entry', async () => {
    const { doc, pat, email } = await setup();
    const threadId = await patientMessages(doc, pat, 4);
    await viewThenTreat(ctx, ctx.practitioner(doc), threadId);
    delivered = ctx.published.length; // the ThreadTreated event is lost
    expect(await digestIndexEntries()).toHaveLength(1);

    ctx.clock.advance(8 * DAY);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest).toMatchObject({ sent: 0, not_due: 1 });
    expect(await digestIndexEntries()).toHaveLength(0);
    expect(await inbox(email)).toHaveLength(1);
  });

  it('reads only the practitioners at or over their threshold, whatever the number of messages', async () => {
    const practitioners = [];
    for (let i = 0; i < 12; i++) practitioners.push(await setup());
    // Ten practitioners below the threshold (1–3 untreated, or many treated), two over it.
    for (const [i, p] of practitioners.entries()) {
      if (i < 2) {
        await patientMessages(p.doc, p.pat, 6);
      } else if (i < 6) {
        const threadId = await patientMessages(p.doc, p.pat, 8);
        await viewThenTreat(ctx, ctx.practitioner(p.doc), threadId);
        await deliver();
      } else {
        await patientMessages(p.doc, p.pat, 1 + (i % 3));
      }
    }
    ctx.clock.advance(8 * DAY);

    const commands: string[] = [];
    let itemsReturnedByQueries = 0;
    // The sweep function's own client: what the sweep reads, not the fixtures.
    ctx.dbAs('untreated-sweep').client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        commands.push(context.commandName ?? '?');
        if (context.commandName === 'QueryCommand') {
          itemsReturnedByQueries += ((result.output as { Items?: unknown[] }).Items ?? []).length;
        }
        return result;
      },
      { step: 'initialize', name: 'countSweepReads' },
    );
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.itemsRead).toBe(2);
    expect(itemsReturnedByQueries).toBe(2);
    expect(commands).not.toContain('ScanCommand');
    expect(report.digest.sent).toBe(2);
    for (const [i, p] of practitioners.entries()) {
      expect(await inbox(p.email)).toHaveLength(i < 2 ? 2 : i < 6 ? 1 : 0);
    }
  });
});

describe('the cap is exact', () => {
  it('50 concurrent sweeps and threshold events for one practitioner send exactly one email', async () => {
    await newContext();
    const { doc, pat, email } = await setup();
    await patientMessages(doc, pat, 4, { deliverEach: false });
    const received = published('MessageReceived');
    // The index entry as the consumers would have left it, without any email yet.
    await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc });
    expect(await digestIndexEntries()).toHaveLength(1);

    const last = received.at(-1)?.data as never;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? runNotificationSweep(ctx.as('untreated-sweep'))
          : onPatientMessageReceived(ctx.as('notify-practitioner'), last),
      ),
    );
    const emails = await inbox(email);
    expect(emails).toHaveLength(1);
    expect(await digestSlot(doc)).toMatchObject({ sentCount: 1, sesMessageId: emails[0]?.messageId });
    expect(published('UntreatedDigestSent')).toHaveLength(1);
  });

  it('SES TooManyRequestsException: nothing recorded, the week not burned, the next sweep sends', async () => {
    await newContext({ mailer: ses.mailer(throttledClient(1)) });
    const { doc, pat, email } = await setup();
    await patientMessages(doc, pat, 3);
    ctx.clock.advance(MINUTE);
    const threadId = published('MessageReceived')[0]?.data.threadId as string;
    await writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), threadId, { body: healthText(3) });
    expect(await deliver()).toEqual(['failed']);

    expect(await inbox(email)).toHaveLength(0);
    const slot = await digestSlot(doc);
    expect(slot?.lastSentAt).toBeUndefined();
    expect(slot?.sesMessageId).toBeUndefined();
    expect(slot?.claimId).toBeUndefined();
    expect(published('UntreatedDigestSent')).toHaveLength(0);

    ctx.clock.advance(MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest.sent).toBe(1);
    const emails = await inbox(email);
    expect(emails).toHaveLength(1);
    expect(await digestSlot(doc)).toMatchObject({ sesMessageId: emails[0]?.messageId });
  });

  it('every event delivered 3 times still sends one digest and one patient email per message', async () => {
    await newContext();
    const { doc, pat, email, patientEmail } = await setup({ displayName: 'Dr Martin' });
    const threadId = await patientMessages(doc, pat, 6, { times: 3 });
    ctx.clock.advance(MINUTE);
    await replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(doc), threadId, {
      body: 'Venez au cabinet demain matin pour un ECG',
      replyPolicy: 'until_closed',
    });
    ctx.clock.advance(MINUTE);
    await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(doc), {
      patientId: pat,
      body: 'Vos résultats d’analyse sont disponibles',
    });
    expect((await deliver(3)).sort()).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'sent',
      'sent',
    ]);
    expect(await inbox(email)).toHaveLength(1);
    expect(await inbox(patientEmail)).toHaveLength(2);
    expect(published('PatientNotified')).toHaveLength(2);
    expect(published('UntreatedDigestSent')).toHaveLength(1);
  });
});

/** A DynamoDB write as a function sent it: the command, and the key and expression of each item it writes. */
interface SentWrite {
  fn: string;
  command: string;
  key: { pk: string; sk: string };
  update?: string;
}

/**
 * Every item write the functions `names` send while `run` runs (the items of a
 * TransactWriteItems one by one; ConditionChecks are reads): what they touch, not
 * only how often they call.
 */
const writesOf = async (names: FunctionName[], run: () => Promise<unknown>): Promise<SentWrite[]> => {
  const writes: SentWrite[] = [];
  const middleware = `writes-of-${randomUUID()}`;
  type Input = {
    Item?: Record<string, string>;
    Key?: Record<string, string>;
    UpdateExpression?: string;
    TransactItems?: Array<Record<string, Input>>;
  };
  const keyOf = (input: Input) => {
    const key = input.Key ?? input.Item ?? {};
    return { pk: String(key.pk), sk: String(key.sk) };
  };
  for (const fn of names) {
    ctx.dbAs(fn).client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context.commandName ?? '?').replace(/Command$/, '');
        const input = args.input as Input;
        if (['PutItem', 'UpdateItem', 'DeleteItem'].includes(command))
          writes.push({ fn, command, key: keyOf(input), update: input.UpdateExpression });
        for (const item of input.TransactItems ?? []) {
          for (const [kind, write] of Object.entries(item)) {
            if (kind !== 'ConditionCheck')
              writes.push({
                fn,
                command: `Transact${kind}`,
                key: keyOf(write),
                update: write.UpdateExpression,
              });
          }
        }
        return next(args);
      },
      { step: 'initialize', name: middleware },
    );
  }
  try {
    await run();
  } finally {
    for (const fn of names) ctx.dbAs(fn).client.middlewareStack.remove(middleware);
  }
  return writes;
};

const THREAD_WRITERS: FunctionName[] = [
  'patient-start-thread',
  'patient-write',
  'patient-read-thread',
  'practitioner-read-thread',
  'practitioner-get-thread',
  'practitioner-treat-thread',
  'practitioner-reply',
];
const CONSUMERS: FunctionName[] = ['notify-practitioner', 'untreated-index'];

const getItem = async (key: { pk: string; sk: string }) =>
  (await ctx.db.client.send(new GetCommand({ TableName: ctx.db.tableName, Key: key, ConsistentRead: true })))
    .Item;

const isEntry = (doc: string) => (w: SentWrite) => w.key.pk === `PRAC#${doc}` && w.key.sk === 'DIGEST_DUE';

describe('the digest queue entry is written only on crossing (issue 12)', () => {
  beforeEach(async () => {
    await newContext();
  });

  it('appears on the 4th message, stays untouched by later messages and reads, goes on the treat', async () => {
    const { doc, pat } = await setup();
    // Below the threshold: no entry, and neither the thread writes nor the consumer write one.
    let threadId = '';
    const below = await writesOf([...THREAD_WRITERS, ...CONSUMERS], async () => {
      threadId = await patientMessages(doc, pat, 3);
    });
    expect(below.filter(isEntry(doc))).toEqual([]);
    expect(await getItem(keys.digestDue(doc))).toBeUndefined();

    // The crossing: the consumer writes the entry once, in its transaction with the counters check.
    const crossing = await writesOf([...THREAD_WRITERS, ...CONSUMERS], () =>
      patientMessages(doc, pat, 1, { threadId }),
    );
    expect(crossing.filter(isEntry(doc))).toEqual([
      { fn: 'notify-practitioner', command: 'TransactPut', key: keys.digestDue(doc), update: undefined },
      // The digest went: the entry moves to the week's end (eligibleAt), once.
      {
        fn: 'notify-practitioner',
        command: 'UpdateItem',
        key: keys.digestDue(doc),
        update: 'SET eligibleAt = :eligibleAt, gsi6sk = :sk',
      },
    ]);
    const entry = await getItem(keys.digestDue(doc));
    expect(entry).toMatchObject({
      gsi6pk: notificationQueueKeys.digestDue(doc, 'x').gsi6pk,
      gsi6sk: `${new Date(ctx.clock.now().getTime() + 7 * DAY).toISOString()}#${doc}`,
      entity: 'DigestDueEntry',
    });

    // Over the threshold: more patient messages, a second thread, reads on both sides, a reply
    // without treating. Every one ADDs to the counters; none writes the entry.
    const over = await writesOf([...THREAD_WRITERS, ...CONSUMERS], async () => {
      await patientMessages(doc, pat, 2, { threadId });
      await patientMessages(doc, pat, 2);
      await readAsPractitioner(ctx.as('practitioner-read-thread'), ctx.practitioner(doc), threadId);
      await readAsPatient(ctx.as('patient-read-thread'), ctx.patient(pat), threadId);
      await replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(doc), threadId, {
        body: 'Je vous rappelle demain',
      });
      await deliver();
    });
    const counterWrites = over.filter((w) => w.key.sk === 'COUNTERS' && w.key.pk === `PRAC#${doc}`);
    expect(counterWrites.length).toBeGreaterThanOrEqual(5);
    for (const write of counterWrites) expect(write.update).not.toMatch(/gsi/);
    expect(over.filter(isEntry(doc))).toEqual([]);
    expect(await getItem(keys.digestDue(doc))).toEqual(entry);
    const counters = await getItem(keys.practitionerCounters(doc));
    expect(counters?.untreatedMessages).toBe(8);
    expect(Object.keys(counters ?? {}).filter((name) => name.startsWith('gsi'))).toEqual([]);

    // Under the threshold again: the consumer deletes it, once.
    const treated = await writesOf([...THREAD_WRITERS, ...CONSUMERS], async () => {
      await viewThenTreat(ctx, ctx.practitioner(doc), threadId);
      await deliver();
    });
    expect(treated.filter(isEntry(doc))).toEqual([
      { fn: 'untreated-index', command: 'TransactDelete', key: keys.digestDue(doc), update: undefined },
    ]);
    expect(await getItem(keys.digestDue(doc))).toBeUndefined();
    expect((await getItem(keys.practitionerCounters(doc)))?.untreatedMessages).toBe(2);
    expect(await digestIndexEntries()).toHaveLength(0);
  });

  it('a threshold PATCH moves the crossing: the entry follows the mirrored threshold', async () => {
    const { doc, pat } = await setup();
    await patientMessages(doc, pat, 5);
    expect(await getItem(keys.digestDue(doc))).toBeDefined();
    const actor = ctx.practitioner(doc);
    await updateSettings(ctx.as('practitioner-update-settings'), actor, { notifications: { threshold: 6 } });
    expect(await getItem(keys.digestDue(doc))).toBeUndefined();
    const unchanged = await writesOf(['practitioner-update-settings'], () =>
      updateSettings(ctx.as('practitioner-update-settings'), actor, { notifications: { threshold: 7 } }),
    );
    expect(unchanged.filter(isEntry(doc))).toEqual([]);
    await updateSettings(ctx.as('practitioner-update-settings'), actor, { notifications: { threshold: 5 } });
    expect(await getItem(keys.digestDue(doc))).toMatchObject({ practitionerId: doc });
  });

  it('concurrent messages and treats around the threshold: the entry ends exactly as the counter says', async () => {
    const { doc } = await setup();
    const actor = ctx.practitioner(doc);
    const patients = Array.from({ length: 12 }, (_, i) => `pat-c${i}-${randomUUID().slice(0, 6)}`);
    for (const p of patients) await ctx.enrol(doc, p);
    const open: string[] = [];
    let next = 0;
    /** A new request, then its MessageReceived consumer at once (racing the other writes). */
    const request = async () => {
      const patient = patients[next++] as string;
      const { thread, message } = await startPatientRequest(
        ctx.as('patient-start-thread'),
        ctx.patient(patient),
        {
          practitionerId: doc,
          body: healthText(next),
        },
      );
      open.push(thread.id);
      const event = ctx.published.find(
        (e) => e.detailType === 'MessageReceived' && e.data.messageId === message.id,
      );
      await onPatientMessageReceived(ctx.as('notify-practitioner'), event?.data as never);
    };
    /** Treats one open thread, then its ThreadTreated consumer at once. */
    const treat = async (threadId: string) => {
      await viewThenTreat(ctx, actor, threadId);
      await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc });
    };
    const treatSome = (n: number) => open.splice(0, n).map(treat);
    const requests = (n: number) => Array.from({ length: n }, request);
    const check = async (untreated: number) => {
      const counters = await getItem(keys.practitionerCounters(doc));
      expect(counters?.untreatedMessages).toBe(untreated);
      const entry = await getItem(keys.digestDue(doc));
      expect(entry !== undefined).toBe(untreated >= 4);
      expect(await digestIndexEntries()).toHaveLength(untreated >= 4 ? 1 : 0);
    };

    await Promise.all(requests(3));
    await check(3);
    await Promise.all([...requests(2), ...treatSome(1)]); // 3 + 2 - 1 = 4: crosses up
    await check(4);
    await Promise.all([...treatSome(2), ...requests(1)]); // 4 - 2 + 1 = 3: crosses down
    await check(3);
    await Promise.all([...requests(5), ...treatSome(1)]); // 3 + 5 - 1 = 7
    await check(7);
    await Promise.all(treatSome(open.length)); // 0
    await check(0);
  });

  it('a decision taken on a counter that moved before its write cannot win (the ConditionCheck)', async () => {
    const { doc } = await setup();
    const actor = ctx.practitioner(doc);
    const patients = Array.from({ length: 6 }, (_, i) => `pat-r${i}-${randomUUID().slice(0, 6)}`);
    for (const p of patients) await ctx.enrol(doc, p);
    const request = async (patient: string) => {
      const { thread, message } = await startPatientRequest(
        ctx.as('patient-start-thread'),
        ctx.patient(patient),
        { practitionerId: doc, body: 'Bonjour' },
      );
      return { threadId: thread.id, messageId: message.id };
    };
    const received = (messageId: string) =>
      ctx.published.find((e) => e.detailType === 'MessageReceived' && e.data.messageId === messageId)
        ?.data as never;
    /** Runs `change` (and its own consumer) just before `fn` sends its next transaction: a stale decision. */
    const beforeNextTransaction = (fn: FunctionName, change: () => Promise<void>) => {
      let fired = false;
      const name = `interleave-${randomUUID()}`;
      ctx.dbAs(fn).client.middlewareStack.add(
        (next, context) => async (args) => {
          if (!fired && context.commandName === 'TransactWriteItemsCommand') {
            fired = true;
            await change();
          }
          return next(args);
        },
        { step: 'initialize', name },
      );
      return () => ctx.dbAs(fn).client.middlewareStack.remove(name);
    };

    const threads: { threadId: string; messageId: string }[] = [];
    for (const p of patients.slice(0, 4)) threads.push(await request(p as string));
    await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc });
    expect(await getItem(keys.digestDue(doc))).toBeDefined();

    // Down to 3: the consumer decides "remove"; before it writes, a 5th request brings it back to 4
    // and that message's consumer, seeing 4 and the entry, changes nothing. The stale removal must fail.
    await viewThenTreat(ctx, actor, threads[0]?.threadId as string);
    const undo = beforeNextTransaction('untreated-index', async () => {
      const { messageId } = await request(patients[4] as string);
      await onPatientMessageReceived(ctx.as('notify-practitioner'), received(messageId));
    });
    expect(await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc })).toBe('unchanged');
    undo();
    expect((await getItem(keys.practitionerCounters(doc)))?.untreatedMessages).toBe(4);
    expect(await getItem(keys.digestDue(doc))).toBeDefined();

    // Back to 3 and out; then a 6th request: "add" is decided; before it writes, a treat takes it
    // to 3 again and that consumer changes nothing. The stale add must fail.
    await viewThenTreat(ctx, actor, threads[1]?.threadId as string);
    await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc });
    expect(await getItem(keys.digestDue(doc))).toBeUndefined();
    await request(patients[5] as string);
    const undoAdd = beforeNextTransaction('notify-practitioner', async () => {
      await viewThenTreat(ctx, actor, threads[2]?.threadId as string);
      await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc });
    });
    const { change } = await ctx.as('notify-practitioner').notifications.reconcileDigestIndex(doc);
    undoAdd();
    expect(change).toBe('unchanged');
    expect((await getItem(keys.practitionerCounters(doc)))?.untreatedMessages).toBe(3);
    expect(await getItem(keys.digestDue(doc))).toBeUndefined();
  });

  it('drains the queues a deployed table holds from before issue 12 (gsi5 on COUNTERS and the slot)', async () => {
    const due = await setup();
    const below = await setup();
    const instant = await setup();
    // Old entries as the previous code left them: keys on the counters item and on the INSTANT slot.
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(instant.doc), {
      notifications: { mode: 'every_message' },
    });
    const instantThread = await patientMessages(instant.doc, instant.pat, 1);
    ctx.clock.advance(MINUTE);
    await writeAsPatient(ctx.as('patient-write'), ctx.patient(instant.pat), instantThread, {
      body: healthText(2),
    });
    // Its summary is due when the window of the first email ends.
    const pendingDueAt = new Date(ctx.clock.now().getTime() + 14 * MINUTE).toISOString();
    const pendingLatest = ctx.clock.now().toISOString();
    // From here no event is delivered: these practitioners are only in the legacy queues.
    await patientMessages(due.doc, due.pat, 5, { deliverEach: false });
    await patientMessages(below.doc, below.pat, 1, { deliverEach: false });
    for (const doc of [due.doc, below.doc]) {
      await ctx.db.client.send(
        new UpdateCommand({
          TableName: ctx.db.tableName,
          Key: keys.practitionerCounters(doc),
          UpdateExpression: 'SET gsi5pk = :legacy, gsi5sk = :sk',
          ExpressionAttributeValues: { ':legacy': 'DIGEST_DUE', ':sk': `0000-00-00T00:00:00.000Z#${doc}` },
        }),
      );
    }
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: keys.notificationSlot(instant.doc, 'INSTANT'),
        UpdateExpression: 'SET gsi5pk = :legacy, gsi5sk = :sk, pendingLatest = :at',
        ExpressionAttributeValues: {
          ':legacy': 'NOTIFY_PENDING',
          ':sk': `${pendingDueAt}#${instant.doc}`,
          ':at': pendingLatest,
        },
      }),
    );
    const legacyEntries = async (queue: string) =>
      (
        await ctx.db.client.send(
          new QueryCommand({
            TableName: ctx.db.tableName,
            IndexName: 'gsi5',
            KeyConditionExpression: 'gsi5pk = :q',
            ExpressionAttributeValues: { ':q': queue },
          }),
        )
      ).Items ?? [];
    expect(await legacyEntries('DIGEST_DUE')).toHaveLength(2);

    // Inside the summary's window: both queues are moved; the due digest is sent from the new queue.
    const first = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(first.legacyMigrated).toBe(3);
    expect(first.errors).toBe(0);
    expect(first.digest.sent).toBe(1);
    expect(await inbox(due.email)).toHaveLength(1);
    expect(await inbox(below.email)).toHaveLength(0);
    expect(await legacyEntries('DIGEST_DUE')).toHaveLength(0);
    expect(await legacyEntries('NOTIFY_PENDING')).toHaveLength(0);
    expect(await getItem(keys.digestDue(due.doc))).toBeDefined();
    expect(await getItem(keys.digestDue(below.doc))).toBeUndefined();
    expect(await getItem(keys.notificationSlot(instant.doc, 'INSTANT'))).toMatchObject({
      gsi6pk: notificationQueueKeys.pendingSummary(instant.doc, pendingDueAt).gsi6pk,
      gsi6sk: `${pendingDueAt}#${instant.doc}`,
    });

    // After the window the moved summary is sent; nothing is left to migrate.
    ctx.clock.advance(15 * MINUTE);
    const second = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(second.legacyMigrated).toBe(0);
    expect(second.summaries.sent).toBe(1);
    expect(await inbox(instant.email)).toHaveLength(2);
    expect((await inbox(instant.email))[1]?.subject).toContain('2 messages');
  });
});

describe('notification modes', () => {
  beforeEach(async () => {
    await newContext();
  });

  it('every_message: one email per message, at most one per 15 minutes, the rest summarised later', async () => {
    const { doc, pat, email } = await setup();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      notifications: { mode: 'every_message' },
    });

    const threadId = await patientMessages(doc, pat, 1);
    let emails = await inbox(email);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toBe('Messagerie patients : 1 message de patient non traité');

    // Inside the window: deferred, not lost.
    ctx.clock.advance(4 * MINUTE);
    await patientMessages(doc, pat, 2, { threadId });
    expect(await inbox(email)).toHaveLength(1);
    ctx.clock.advance(3 * MINUTE);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).summaries.sent).toBe(0);

    ctx.clock.advance(8 * MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.summaries.sent).toBe(1);
    emails = await inbox(email);
    expect(emails).toHaveLength(2);
    expect(emails[1]?.subject).toContain('3 messages');

    // Past the window a new message is emailed at once; its redelivery is covered.
    ctx.clock.advance(20 * MINUTE);
    await patientMessages(doc, pat, 1, { threadId, times: 3 });
    expect(await inbox(email)).toHaveLength(3);
    // No weekly digest in this mode, even past the threshold, and nothing left queued.
    ctx.clock.advance(8 * DAY);
    const later = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(later.itemsRead).toBe(0);
    expect(await inbox(email)).toHaveLength(3);
    expectNoHealthData(await inbox(email), ['Camille', pat]);
  });

  it('off: no email from messages or sweeps; back to threshold, the next sweep sends', async () => {
    const { doc, pat, email } = await setup();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      notifications: { mode: 'off' },
    });
    await patientMessages(doc, pat, 6);
    ctx.clock.advance(8 * DAY);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).itemsRead).toBe(0);
    expect(await inbox(email)).toHaveLength(0);
    expect(await digestIndexEntries()).toHaveLength(0);

    const settings = await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      notifications: { mode: 'threshold' },
    });
    expect(settings.notifications).toEqual({ mode: 'threshold', threshold: 4, email });
    expect(await digestIndexEntries()).toHaveLength(1);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest.sent).toBe(1);
    expect(await inbox(email)).toHaveLength(1);
  });

  it('a PATCH merges notification fields; concurrent PATCHes of different fields all stick', async () => {
    const { doc, email } = await setup();
    const actor = ctx.practitioner(doc);
    expect((await getSettings(ctx.as('practitioner-get-settings'), actor)).notifications).toEqual({
      mode: 'threshold',
      threshold: 4,
      email,
    });
    await Promise.all([
      updateSettings(ctx.as('practitioner-update-settings'), actor, { notifications: { threshold: 7 } }),
      updateSettings(ctx.as('practitioner-update-settings'), actor, {
        notifications: { mode: 'every_message' },
      }),
      updateSettings(ctx.as('practitioner-update-settings'), actor, {
        notifications: { email: 'secretariat@cabinet.test' },
      }),
      updateSettings(ctx.as('practitioner-update-settings'), actor, { displayName: 'Dr Martin' }),
    ]);
    const settings = await getSettings(ctx.as('practitioner-get-settings'), actor);
    expect(settings.notifications).toEqual({
      mode: 'every_message',
      threshold: 7,
      email: 'secretariat@cabinet.test',
    });
    expect(settings.displayName).toBe('Dr Martin');
    // The mirrors the index conditions use agree with the settings.
    expect(await ctx.deps.notifications.digestState(doc)).toMatchObject({
      mode: 'every_message',
      threshold: 7,
    });
    // null: back to the settings email.
    const reset = await updateSettings(ctx.as('practitioner-update-settings'), actor, {
      notifications: { email: null },
    });
    expect(reset.notifications.email).toBe(email);
  });
});

describe('patient emails', () => {
  beforeEach(async () => {
    await newContext();
  });

  it('a practitioner message gets the patient one content-free email, in French, with a link', async () => {
    const { doc, pat, patientEmail } = await setup({ displayName: 'Dr Martin' });
    ctx.clock.advance(MINUTE);
    const started = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(doc),
      {
        patientId: pat,
        body: healthText(0),
      },
    );
    expect(await deliver()).toEqual(['sent']);
    const [email] = (await inbox(patientEmail)) as [StoredEmail];
    // Neutral: no practitioner name (ADR 0010), and nothing to the address the practitioner typed.
    expect(email.subject).toBe('Nouveau message sur votre messagerie santé');
    expect(`${email.subject}\n${email.body.text}\n${email.body.html}`).not.toContain('Martin');
    expect(await inbox(`${pat}@typed-by-practitioner.test`)).toHaveLength(0);
    expect(email.body.text).toContain(`${TEST_APP_BASE_URL}/mes-messages/${started.thread.id}`);
    expectNoHealthData([email], ['Camille', pat]);
    expect(published('PatientNotified')[0]?.data).toEqual({
      practitionerId: doc,
      patientId: pat,
      threadId: started.thread.id,
      messageId: started.message.id,
      notifiedAt: ctx.clock.now().toISOString(),
    });
    // Delivered again, later: still one.
    ctx.clock.advance(DAY);
    await notifyPatientOfMessage(ctx.as('notify-patient'), published('MessageSent')[0]?.data as never);
    expect(await inbox(patientEmail)).toHaveLength(1);
  });

  it('a message retracted before its email went sends nothing', async () => {
    const { doc, pat, patientEmail } = await setup();
    const started = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(doc),
      {
        patientId: pat,
        body: healthText(3),
      },
    );
    await retractMessage(
      ctx.as('practitioner-retract-message'),
      ctx.practitioner(doc),
      started.thread.id,
      started.message.id,
    );
    expect(await deliver()).toEqual(['retracted']);
    expect(await inbox(patientEmail)).toHaveLength(0);
  });

  it('a patient without a verified address is skipped', async () => {
    const { doc } = await setup();
    await ctx.enrol(doc, 'pat-no-email', null);
    await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(doc), {
      patientId: 'pat-no-email',
      body: 'Bonjour',
    });
    expect(await deliver()).toEqual(['no_recipient']);
  });

  it('an SES failure releases the marker so the redelivery sends it', async () => {
    await newContext({ mailer: ses.mailer(throttledClient(1)) });
    const { doc, pat, patientEmail } = await setup();
    await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(doc), {
      patientId: pat,
      body: healthText(2),
    });
    const [sent] = published('MessageSent');
    expect(await deliver()).toEqual(['failed']);
    expect(await notifyPatientOfMessage(ctx.as('notify-patient'), sent?.data as never)).toBe('sent');
    expect(await notifyPatientOfMessage(ctx.as('notify-patient'), sent?.data as never)).toBe('duplicate');
    expect(await inbox(patientEmail)).toHaveLength(1);
  });
});

describe('leased claims: a sender dying between its claim and SES delays the email, never loses it', () => {
  const DOC = 'dr-lease';
  beforeEach(async () => {
    await newContext();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(DOC), {
      displayName: 'Dr Bail',
      notifications: { mode: 'threshold', threshold: 4, email: 'dr.bail@cabinet.example' },
    });
  });

  /** What a process that died right after claiming leaves behind: a claim, no email, no confirmation. */
  const deadClaim = (
    slot: Parameters<TestContext['deps']['notifications']['claim']>[0],
    recovery?: {
      practitionerId: string;
      threadId: string;
    },
  ) =>
    ctx.deps.notifications.claim(slot, {
      claimId: `dead-${randomUUID()}`,
      now: ctx.clock.now().toISOString(),
      notSentAfter:
        slot.kind === 'patient' ? null : new Date(ctx.clock.now().getTime() - 7 * DAY).toISOString(),
      ...(recovery && { recovery }),
    });

  it('the weekly digest: held while the lease runs, sent once after it, and the week is then capped', async () => {
    expect(await deadClaim({ kind: 'digest', practitionerId: DOC })).toEqual({
      claimed: true,
      tookOver: false,
    });
    for (let i = 0; i < 4; i++) {
      await ctx.enrol(DOC, `pat-lease-${i}`);
      await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(`pat-lease-${i}`), {
        practitionerId: DOC,
        body: healthText(i),
      });
    }
    // The crossing is seen while the dead claim holds: nothing is sent, nothing is lost.
    expect(await deliver()).toContain('capped');
    ctx.clock.advance(5 * MINUTE);
    await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(await inbox('dr.bail@cabinet.example')).toHaveLength(0);

    // The lease has ended: the next sweep takes the claim over and sends the digest, once.
    ctx.clock.advance(6 * MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest.sent).toBe(1);
    expect(await inbox('dr.bail@cabinet.example')).toHaveLength(1);

    // The week's digest went: more messages, events and sweeps add none.
    await ctx.enrol(DOC, 'pat-lease-late');
    await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient('pat-lease-late'), {
      practitionerId: DOC,
      body: healthText(5),
    });
    await deliver(3);
    ctx.clock.advance(2 * DAY);
    await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(await inbox('dr.bail@cabinet.example')).toHaveLength(1);
    expect(ctx.published.filter((e) => e.detailType === 'UntreatedDigestSent')).toHaveLength(1);
  });

  it('a patient email: the event retried during the lease sends nothing; the sweep after it sends it once', async () => {
    await ctx.enrol(DOC, 'pat-lease-email', 'lea.bail@example.org');
    await ctx.verifiedAddress('pat-lease-email', 'lea.bail@example.org');
    const { thread, message } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(DOC),
      {
        patientId: 'pat-lease-email',
        body: 'Vos résultats sont arrivés',
        replyPolicy: 'none',
      },
    );
    expect(
      await deadClaim(
        { kind: 'patient', patientId: 'pat-lease-email', messageId: message.id },
        { practitionerId: DOC, threadId: thread.id },
      ),
    ).toEqual({ claimed: true, tookOver: false });
    // EventBridge redelivers MessageSent while the dead claim holds: held, not lost.
    expect(await deliver(2)).toEqual(['duplicate', 'duplicate']);
    expect(await inbox('lea.bail@example.org')).toHaveLength(0);
    ctx.clock.advance(5 * MINUTE);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).patients.sent).toBe(0);

    ctx.clock.advance(6 * MINUTE);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).patients.sent).toBe(1);
    expect(await inbox('lea.bail@example.org')).toHaveLength(1);
    // Once confirmed, neither a sweep nor a redelivery sends it again.
    ctx.clock.advance(20 * MINUTE);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).patients.sent).toBe(0);
    delivered = 0;
    expect((await deliver()).filter((o) => o === 'sent')).toEqual([]);
    expect(await inbox('lea.bail@example.org')).toHaveLength(1);
    expect(ctx.published.filter((e) => e.detailType === 'PatientNotified')).toHaveLength(1);
  });

  it('a patient claim taken before issue 12 (gsi5 queue) is still found after its lease and sent once', async () => {
    await ctx.enrol(DOC, 'pat-lease-legacy', 'lea.legacy@example.org');
    await ctx.verifiedAddress('pat-lease-legacy', 'lea.legacy@example.org');
    const { thread, message } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(DOC),
      { patientId: 'pat-lease-legacy', body: 'Un message', replyPolicy: 'none' },
    );
    await deadClaim(
      { kind: 'patient', patientId: 'pat-lease-legacy', messageId: message.id },
      { practitionerId: DOC, threadId: thread.id },
    );
    // As the old code wrote it: the queue keys on gsi5 (4 shards), none on gsi6.
    const key = { pk: 'PAT#pat-lease-legacy', sk: `NOTIFIED#${message.id}` };
    const { Item } = await ctx.db.client.send(new GetCommand({ TableName: ctx.db.tableName, Key: key }));
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: key,
        UpdateExpression: 'SET gsi5pk = :queue, gsi5sk = :due REMOVE gsi6pk, gsi6sk',
        ExpressionAttributeValues: { ':queue': 'NOTIFY_CLAIMS#1', ':due': Item?.gsi6sk },
      }),
    );
    ctx.clock.advance(11 * MINUTE);
    expect((await runNotificationSweep(ctx.as('untreated-sweep'))).patients.sent).toBe(1);
    expect(await inbox('lea.legacy@example.org')).toHaveLength(1);
    const after = await ctx.db.client.send(new GetCommand({ TableName: ctx.db.tableName, Key: key }));
    expect(after.Item).not.toHaveProperty('gsi5pk');
    expect(after.Item).not.toHaveProperty('gsi6pk');
  });

  it('a live claim is never taken over: two senders at the same moment, one email', async () => {
    await ctx.enrol(DOC, 'pat-lease-race', 'lea.race@example.org');
    await ctx.verifiedAddress('pat-lease-race', 'lea.race@example.org');
    await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(DOC), {
      patientId: 'pat-lease-race',
      body: 'Un message',
      replyPolicy: 'none',
    });
    const outcomes = await deliver(10);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
    expect(await inbox('lea.race@example.org')).toHaveLength(1);
  });
});
