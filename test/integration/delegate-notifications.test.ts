/**
 * Delegates' inbox emails (SPEC 11.2 part 5, ADR 0015) on DynamoDB Local and the
 * local SES: a delegate who asked for a practitioner's emails gets the digest and
 * the instant email at the verified address of their own token, under a cap of
 * their own per practitioner inbox (one slot per recipient); revocation or
 * `notify: false` leaves them out of the next email; nothing ever names a patient
 * or quotes a message.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StoredEmail } from '../../local/ses-local.ts';
import { keys } from '../../shared/db/keys.ts';
import { NotFound } from '../../shared/domain/errors.ts';
import { DELEGATE_NOTIFICATION_SUBJECT } from '../../shared/domain/notifications.ts';
import { setDelegateNotifications } from '../../shared/use-cases/delegate-notifications.ts';
import { putDelegate, removeDelegate } from '../../shared/use-cases/delegation.ts';
import {
  onPatientMessageReceived,
  onThreadTreated,
  runNotificationSweep,
} from '../../shared/use-cases/notifications.ts';
import { startPatientRequest, writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { expectContentFree, useLocalSes } from '../support/mail.ts';
import { createTestContext, TEST_APP_BASE_URL, type TestContext } from './harness.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const TEXTS = [
  'Douleur thoracique depuis hier soir',
  'Je suis enceinte de 8 semaines',
  'Vomissements persistants',
];

const ses = useLocalSes();
let ctx: TestContext;
let delivered = 0;

beforeEach(async () => {
  ctx = await createTestContext('2026-05-14T08:00:00.000Z', { mailer: ses.mailer() });
  delivered = 0;
});

const inbox = ses.inbox;

/** MessageReceived events published since the last call, to notify-practitioner (ThreadTreated to the index). */
const deliver = async () => {
  const batch = ctx.published.slice(delivered);
  delivered = ctx.published.length;
  for (const { detailType, data } of batch) {
    if (detailType === 'MessageReceived')
      await onPatientMessageReceived(ctx.as('notify-practitioner'), data as never);
    if (detailType === 'ThreadTreated') await onThreadTreated(ctx.as('untreated-index'), data as never);
  }
};

/** A practitioner with an address and a patient in their base. */
const practice = async () => {
  const doc = `dr-${randomUUID().slice(0, 8)}`;
  const pat = `pat-${randomUUID().slice(0, 8)}`;
  await ctx.enrol(doc, pat, `${pat}@typed-by-practitioner.test`);
  await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
    email: `${doc}@cabinet.test`,
  });
  return { doc, pat, email: `${doc}@cabinet.test` };
};

/**
 * A delegate of `doc`. `asks`: they ask for the emails on their own route; `verified`:
 * their token carries `email_verified: true` (else the claim is false: nothing recorded).
 * The practitioner's PUT names `typed@…` nowhere: a practitioner cannot give an address.
 */
const delegate = async (doc: string, options: { asks: boolean; verified: boolean }) => {
  const assistantId = `a-${randomUUID().slice(0, 8)}`;
  const email = `${assistantId}@secretariat.test`;
  await putDelegate(ctx.as('practitioner-put-delegate'), ctx.practitioner(doc), assistantId, {
    displayName: 'Sophie (secrétariat)',
    scopes: ['inbox'],
  });
  const answer = options.asks
    ? await setDelegateNotifications(
        ctx.as('assistant-set-notifications'),
        assistantId,
        { email, emailVerified: options.verified },
        doc,
        true,
      )
    : null;
  return { assistantId, email, answer };
};

const patientMessages = async (doc: string, pat: string, n: number, threadId?: string) => {
  let thread = threadId;
  for (let i = 0; i < n; i++) {
    ctx.clock.advance(MINUTE);
    const body = TEXTS[i % TEXTS.length] as string;
    if (!thread) {
      thread = (
        await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(pat), {
          practitionerId: doc,
          body,
        })
      ).thread.id;
    } else {
      await writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), thread, { body });
    }
    await deliver();
  }
  return thread as string;
};

const delegateSlot = async (doc: string, assistantId: string) =>
  (
    await ctx.db.client.send(
      new GetCommand({
        TableName: ctx.db.tableName,
        Key: keys.delegateNotificationSlot(doc, 'DIGEST', assistantId),
        ConsistentRead: true,
      }),
    )
  ).Item;

/** No message text nor any of `names` in the emails. */
const expectNoneOf = (emails: StoredEmail[], names: string[]) =>
  expectContentFree(emails, [...TEXTS, ...names]);

describe("a delegate's weekly digest", () => {
  it('crossing the threshold: the practitioner and the delegate who asked each get one, nobody else', async () => {
    const { doc, pat, email } = await practice();
    const asked = await delegate(doc, { asks: true, verified: true });
    const unverified = await delegate(doc, { asks: true, verified: false });
    const silent = await delegate(doc, { asks: false, verified: true });
    expect(asked.answer).toEqual({ practitionerId: doc, notify: true, verifiedAddress: true });
    expect(unverified.answer).toEqual({ practitionerId: doc, notify: true, verifiedAddress: false });

    const threadId = await patientMessages(doc, pat, 4);
    expect(await inbox(email)).toHaveLength(1);
    const emails = await inbox(asked.email);
    expect(emails).toHaveLength(1);
    const [digest] = emails as [StoredEmail];
    expect(digest.subject).toBe(DELEGATE_NOTIFICATION_SUBJECT);
    expect(digest.body.text).toContain('4 messages de patients non traités');
    expect(digest.body.text).toContain(`${TEST_APP_BASE_URL}/messagerie?filtre=non-traites&pour=${doc}`);
    expectNoneOf(emails, [pat, 'Camille', 'Sophie']);
    expect(await inbox(unverified.email)).toHaveLength(0);
    expect(await inbox(silent.email)).toHaveLength(0);
    expect(await delegateSlot(doc, asked.assistantId)).toMatchObject({
      sentCount: 1,
      sesMessageId: digest.messageId,
    });

    // The rest of the week: more messages and sweeps send nothing to anyone.
    await patientMessages(doc, pat, 2, threadId);
    ctx.clock.advance(3 * DAY);
    await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(await inbox(email)).toHaveLength(1);
    expect(await inbox(asked.email)).toHaveLength(1);

    // The next week, still over the threshold: the sweep sends both again, once.
    ctx.clock.advance(4 * DAY + MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest.sent).toBe(1);
    expect(report.delegates.sent).toBe(1);
    expect(await inbox(email)).toHaveLength(2);
    expect(await inbox(asked.email)).toHaveLength(2);
  });

  it('revocation and notify: false leave the delegate out of the next sweep', async () => {
    const { doc, pat, email } = await practice();
    const revoked = await delegate(doc, { asks: true, verified: true });
    const stopped = await delegate(doc, { asks: true, verified: true });
    const kept = await delegate(doc, { asks: true, verified: true });
    await patientMessages(doc, pat, 4);
    for (const d of [revoked, stopped, kept]) expect(await inbox(d.email)).toHaveLength(1);

    await removeDelegate(ctx.as('practitioner-delete-delegate'), ctx.practitioner(doc), revoked.assistantId);
    await setDelegateNotifications(
      ctx.as('assistant-set-notifications'),
      stopped.assistantId,
      undefined,
      doc,
      false,
    );
    // The practitioner changing the kept delegate's scopes does not undo their choice.
    await putDelegate(ctx.as('practitioner-put-delegate'), ctx.practitioner(doc), kept.assistantId, {
      displayName: 'Sophie',
      scopes: ['inbox', 'patients'],
    });

    ctx.clock.advance(7 * DAY + MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.digest.sent).toBe(1);
    expect(report.delegates).toMatchObject({ sent: 1, failed: 0 });
    expect(await inbox(email)).toHaveLength(2);
    expect(await inbox(kept.email)).toHaveLength(2);
    expect(await inbox(revoked.email)).toHaveLength(1);
    expect(await inbox(stopped.email)).toHaveLength(1);
  });

  it('a revoked assistant cannot ask again (404), and nothing is written', async () => {
    const { doc } = await practice();
    const d = await delegate(doc, { asks: false, verified: true });
    await removeDelegate(ctx.as('practitioner-delete-delegate'), ctx.practitioner(doc), d.assistantId);
    await expect(
      setDelegateNotifications(ctx.as('assistant-set-notifications'), d.assistantId, undefined, doc, true),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(
      setDelegateNotifications(
        ctx.as('assistant-set-notifications'),
        d.assistantId,
        undefined,
        'dr-other',
        true,
      ),
    ).rejects.toBeInstanceOf(NotFound);
    expect(await ctx.deps.delegates.grantOf(doc, d.assistantId)).toBeNull();
  });

  it('a practitioner without an address: the delegates still get it, once a week', async () => {
    const { doc, pat, email } = await practice();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), { email: null });
    const d = await delegate(doc, { asks: true, verified: true });
    const threadId = await patientMessages(doc, pat, 4);
    await patientMessages(doc, pat, 2, threadId);
    await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(await inbox(email)).toHaveLength(0);
    expect(await inbox(d.email)).toHaveLength(1);
  });
});

describe("the delegates' cap is exact", () => {
  it('50 concurrent sweeps and threshold events: exactly one email per recipient', async () => {
    const { doc, pat, email } = await practice();
    const delegates = await Promise.all(
      Array.from({ length: 3 }, () => delegate(doc, { asks: true, verified: true })),
    );
    // Four messages, their events not delivered yet: the index entry as the consumers would leave it.
    let threadId = '';
    for (let i = 0; i < 4; i++) {
      ctx.clock.advance(MINUTE);
      const body = TEXTS[i % TEXTS.length] as string;
      if (i === 0)
        threadId = (
          await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(pat), {
            practitionerId: doc,
            body,
          })
        ).thread.id;
      else await writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), threadId, { body });
    }
    await onThreadTreated(ctx.as('untreated-index'), { practitionerId: doc });
    const last = ctx.published.filter((e) => e.detailType === 'MessageReceived').at(-1)?.data as never;
    delivered = ctx.published.length;

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? runNotificationSweep(ctx.as('untreated-sweep'))
          : onPatientMessageReceived(ctx.as('notify-practitioner'), last),
      ),
    );
    expect(await inbox(email)).toHaveLength(1);
    for (const d of delegates) {
      const emails = await inbox(d.email);
      expect(emails).toHaveLength(1);
      expect(await delegateSlot(doc, d.assistantId)).toMatchObject({
        sentCount: 1,
        sesMessageId: emails[0]?.messageId,
      });
    }
  });
});

describe("a delegate's instant email (every_message)", () => {
  it('goes with the practitioner’s, at most one per 15 minutes, the summary included', async () => {
    const { doc, pat, email } = await practice();
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      notifications: { mode: 'every_message' },
    });
    const d = await delegate(doc, { asks: true, verified: true });
    const threadId = await patientMessages(doc, pat, 1);
    expect(await inbox(email)).toHaveLength(1);
    expect(await inbox(d.email)).toHaveLength(1);
    expect((await inbox(d.email))[0]?.body.text).toContain('1 message de patient non traité');

    ctx.clock.advance(4 * MINUTE);
    await patientMessages(doc, pat, 2, threadId);
    expect(await inbox(d.email)).toHaveLength(1);
    ctx.clock.advance(12 * MINUTE);
    const report = await runNotificationSweep(ctx.as('untreated-sweep'));
    expect(report.summaries.sent).toBe(1);
    expect(report.delegates.sent).toBe(1);
    expect(await inbox(email)).toHaveLength(2);
    const emails = await inbox(d.email);
    expect(emails).toHaveLength(2);
    expect(emails[1]?.body.text).toContain('3 messages');
    expectNoneOf(emails, [pat]);
  });
});
