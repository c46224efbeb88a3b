import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import type { Deps } from '../../shared/use-cases/deps.ts';
import { getMessagingAccess } from '../../shared/use-cases/messaging-access.ts';
import {
  getPatientThread,
  listPatientThreads,
  patientSummary,
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { getPatientRecord, getSettings, updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import {
  archivePractitionerThread,
  reopenDueInboxes,
  retractMessage,
  setPatientFlag,
} from '../../shared/use-cases/practitioner-controls.ts';
import {
  getPractitionerThread,
  listPractitionerThreads,
  practitionerSummary,
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import {
  createTestContext,
  type FunctionName,
  practitionerThreadTotals,
  type TestContext,
} from './harness.ts';

let ctx: TestContext;
const DOC = 'dr-martin';
const PAT = 'pat-camille';
const doc = () => ctx.practitioner(DOC);
const pat = () => ctx.patient(PAT);
const types = () => ctx.published.map((e) => e.detailType);
const eventsOf = (detailType: string) => ctx.published.filter((e) => e.detailType === detailType);

beforeEach(async () => {
  ctx = await createTestContext('2026-05-14T08:00:00.000Z');
  await ctx.enrol(DOC, PAT);
});

const threadTotals = (practitionerId: string) => practitionerThreadTotals(ctx.db, practitionerId);

describe('block / unblock', () => {
  it('a blocked patient can neither start a request nor write; the practitioner still can; unblock restores exactly', async () => {
    // A `single` grant the patient has not used yet, and an allowed flag under allowed_patients.
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      whoCanStartRequests: 'allowed_patients',
    });
    await setPatientFlag(ctx.as('practitioner-allow-patient'), doc(), PAT, 'allowed', true);
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Pouvez-vous confirmer votre traitement ?',
      replyPolicy: 'single',
    });

    const blocked = await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    expect(blocked).toMatchObject({ patientId: PAT, blocked: true, allowed: true });
    expect(await getPatientRecord(ctx.as('practitioner-get-patient'), doc(), PAT)).toMatchObject({
      blocked: true,
      allowed: true,
    });

    await expect(
      startPatientRequest(ctx.as('patient-start-thread'), pat(), { practitionerId: DOC, body: 'Bonjour' }),
    ).rejects.toMatchObject({ code: 'PATIENT_BLOCKED', message: expect.stringMatching(/^Votre praticien/) });
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Oui' }),
    ).rejects.toMatchObject({
      code: 'PATIENT_BLOCKED',
    });
    // The practitioner can still write to a blocked patient, in the thread and in a new one.
    await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Je vous rappelle.',
      replyPolicy: 'single',
    });
    await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Autre sujet',
      replyPolicy: 'none',
    });

    const unblocked = await setPatientFlag(
      ctx.as('practitioner-unblock-patient'),
      doc(),
      PAT,
      'blocked',
      false,
    );
    expect(unblocked).toMatchObject({ blocked: false, allowed: true });
    // Exactly the previous rights: still allowed to start, the single grant still usable once.
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      canStartRequest: true,
    });
    await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Oui, merci' });
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Encore' }),
    ).rejects.toMatchObject({
      code: 'REPLY_NOT_ALLOWED',
    });
  });

  it('is idempotent: one event per actual change', async () => {
    await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    await setPatientFlag(ctx.as('practitioner-unblock-patient'), doc(), PAT, 'blocked', false);
    await setPatientFlag(ctx.as('practitioner-unblock-patient'), doc(), PAT, 'blocked', false);
    expect(types()).toEqual(['PatientBlocked', 'PatientUnblocked']);
    expect(eventsOf('PatientBlocked')[0]?.data).toEqual({
      practitionerId: DOC,
      patientId: PAT,
      blockedAt: '2026-05-14T08:00:00.000Z',
    });
  });

  it('404 for a patient outside the base, and blocking by one practitioner does not touch another', async () => {
    await expect(
      setPatientFlag(ctx.as('practitioner-block-patient'), doc(), 'pat-unknown', 'blocked', true),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await ctx.enrol('dr-other', PAT);
    await setPatientFlag(
      ctx.as('practitioner-block-patient'),
      ctx.practitioner('dr-other'),
      PAT,
      'blocked',
      true,
    );
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      canStartRequest: true,
    });
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), 'dr-other')).toMatchObject({
      reason: 'PATIENT_BLOCKED',
    });
    expect(ctx.published).toHaveLength(1);
  });

  it('re-sending the patient record (PUT) never unblocks', async () => {
    await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    await ctx.enrol(DOC, PAT);
    expect(await getPatientRecord(ctx.as('practitioner-get-patient'), doc(), PAT)).toMatchObject({
      blocked: true,
    });
  });
});

describe('close / reopen the messaging', () => {
  it('closed: patients see the absence message verbatim and cannot write; the practitioner still can', async () => {
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Question',
    });
    const absenceMessage = 'En congés du 15 au 30 mai. Pour une urgence, appelez le cabinet du Dr Durand.';
    const settings = await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      absenceMessage,
    });
    expect(settings).toMatchObject({ inboxOpen: false, absenceMessage, reopensAt: null });

    const access = await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC);
    expect(access).toMatchObject({
      canStartRequest: false,
      reason: 'MESSAGING_CLOSED',
      message: absenceMessage,
    });
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Encore' }),
    ).rejects.toMatchObject({
      code: 'MESSAGING_CLOSED',
      message: absenceMessage,
    });
    expect((await getPatientThread(ctx.as('patient-get-thread'), pat(), thread.id)).thread).toMatchObject({
      canReply: false,
      replyBlockedReason: 'MESSAGING_CLOSED',
      replyBlockedMessage: absenceMessage,
    });
    await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Réponse avant départ',
      markTreated: true,
      lastSeenMessageId: message.id,
    });
    await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Information',
      replyPolicy: 'none',
    });
  });

  it('InboxClosed / InboxOpened only on an actual change', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { inboxOpen: true });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { inboxOpen: false });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      absenceMessage: 'Absent',
    });
    ctx.clock.advance(60_000);
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { inboxOpen: true });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { displayName: 'Dr Martin' });
    expect(types()).toEqual(['InboxClosed', 'InboxOpened']);
    expect(ctx.published[0]?.data).toEqual({
      practitionerId: DOC,
      closedAt: '2026-05-14T08:00:00.000Z',
      reopensAt: null,
    });
    expect(ctx.published[1]?.data).toEqual({
      practitionerId: DOC,
      openedAt: '2026-05-14T08:01:00.000Z',
      trigger: 'practitioner',
    });
    // Events carry ids and timestamps, never the absence message.
    expect(JSON.stringify(ctx.published)).not.toContain('Absent');
  });

  it('a reopening date must be in the future and only applies while closed', async () => {
    await expect(
      updateSettings(ctx.as('practitioner-update-settings'), doc(), {
        inboxOpen: false,
        reopensAt: '2026-05-14T07:00:00.000Z',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(
      updateSettings(ctx.as('practitioner-update-settings'), doc(), {
        reopensAt: '2026-06-01T06:00:00.000Z',
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    // Refused PATCHes changed nothing.
    expect(await getSettings(ctx.as('practitioner-get-settings'), doc())).toMatchObject({
      inboxOpen: true,
      reopensAt: null,
    });
    expect(ctx.published).toEqual([]);
  });

  it('reopens by itself at the set time: exact in the rules, then written back once by the sweep', async () => {
    const reopensAt = '2026-05-20T06:00:00.000Z';
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      absenceMessage: 'Congés',
      reopensAt,
    });
    const stored = await ctx.db.client.send(
      new GetCommand({ TableName: ctx.db.tableName, Key: keys.practitionerSettings(DOC) }),
    );
    expect(stored.Item).toMatchObject({ gsi5pk: 'INBOX_REOPEN', gsi5sk: `${reopensAt}#${DOC}` });

    ctx.clock.set('2026-05-20T05:59:59.999Z');
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      reason: 'MESSAGING_CLOSED',
    });
    expect(await reopenDueInboxes(ctx.as('inbox-reopen-sweep'))).toEqual({ due: 0, reopened: 0 });

    ctx.clock.set(reopensAt);
    // Before any sweep: the rules already answer open, and the practitioner sees it open.
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      canStartRequest: true,
    });
    expect(await getSettings(ctx.as('practitioner-get-settings'), doc())).toMatchObject({
      inboxOpen: true,
      reopensAt: null,
    });
    await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Vous êtes rentré ?',
    });

    ctx.clock.set('2026-05-20T06:05:00.000Z');
    const sweeps = await Promise.all([
      reopenDueInboxes(ctx.as('inbox-reopen-sweep')),
      reopenDueInboxes(ctx.as('inbox-reopen-sweep')),
    ]);
    expect(sweeps.reduce((n, s) => n + s.reopened, 0)).toBe(1);
    expect(await reopenDueInboxes(ctx.as('inbox-reopen-sweep'))).toEqual({ due: 0, reopened: 0 });
    expect(eventsOf('InboxOpened').map((e) => e.data)).toEqual([
      { practitionerId: DOC, openedAt: reopensAt, trigger: 'schedule' },
    ]);
    const after = await ctx.db.client.send(
      new GetCommand({ TableName: ctx.db.tableName, Key: keys.practitionerSettings(DOC) }),
    );
    expect(after.Item).toMatchObject({ inboxOpen: true, reopensAt: null, absenceMessage: 'Congés' });
    expect(after.Item?.gsi5pk).toBeUndefined();
  });

  it('a PATCH after the date came writes the reopening itself (InboxOpened by schedule), so the sweep finds nothing', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      reopensAt: '2026-05-15T06:00:00.000Z',
    });
    ctx.clock.set('2026-05-16T08:00:00.000Z');
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { sameDayCooldown: true });
    expect(await reopenDueInboxes(ctx.as('inbox-reopen-sweep'))).toEqual({ due: 0, reopened: 0 });
    expect(types()).toEqual(['InboxClosed', 'InboxOpened']);
    expect(eventsOf('InboxOpened')[0]?.data).toMatchObject({ trigger: 'schedule' });
  });

  it('reopening by hand before the date cancels the scheduled reopening', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      reopensAt: '2026-05-20T06:00:00.000Z',
    });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { inboxOpen: true });
    ctx.clock.set('2026-05-21T00:00:00.000Z');
    expect(await reopenDueInboxes(ctx.as('inbox-reopen-sweep'))).toEqual({ due: 0, reopened: 0 });
    expect(types()).toEqual(['InboxClosed', 'InboxOpened']);
  });

  it('the sweep pages through many due closures', async () => {
    for (let i = 0; i < 7; i++) {
      await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(`dr-${i}`), {
        inboxOpen: false,
        reopensAt: `2026-05-2${i}T06:00:00.000Z`,
      });
    }
    ctx.clock.set('2026-05-25T07:00:00.000Z');
    expect(await reopenDueInboxes(ctx.as('inbox-reopen-sweep'), { pageSize: 2 })).toEqual({
      due: 6,
      reopened: 6,
    });
    expect(await getSettings(ctx.as('practitioner-get-settings'), ctx.practitioner('dr-6'))).toMatchObject({
      inboxOpen: false,
    });
  });
});

describe('who may start a request', () => {
  it('allowed_patients: the allow flag or an allowed attribute; replies are not affected', async () => {
    await ctx.enrol(DOC, 'pat-ald');
    await ctx.deps.patients.upsert(
      DOC,
      'pat-ald',
      {
        firstName: 'A',
        lastName: 'B',
        email: null,
        attributes: {
          primaryCare: false,
          ald: true,
          chronic: false,
          pregnancyFollowUp: false,
          needsSupport: false,
        },
      },
      ctx.clock.now().toISOString(),
    );
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      whoCanStartRequests: 'allowed_patients',
      allowedAttributes: ['ald'],
    });
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      reason: 'NOT_ALLOWED',
    });
    expect(
      await getMessagingAccess(ctx.as('patient-messaging-access'), ctx.patient('pat-ald'), DOC),
    ).toMatchObject({
      canStartRequest: true,
    });

    await setPatientFlag(ctx.as('practitioner-allow-patient'), doc(), PAT, 'allowed', true);
    const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Bonjour',
    });
    await setPatientFlag(ctx.as('practitioner-disallow-patient'), doc(), PAT, 'allowed', false);
    await expect(
      startPatientRequest(ctx.as('patient-start-thread'), pat(), { practitionerId: DOC, body: 'Autre' }),
    ).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
    // The open request stays writable: replies follow the thread, not whoCanStartRequests.
    await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Précision' });
    expect(types()).toContain('PatientAllowed');
    expect(types()).toContain('PatientDisallowed');
  });

  it('nobody: no request, but the practitioner can open a conversation with until_closed', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { whoCanStartRequests: 'nobody' });
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      reason: 'NOT_ALLOWED',
    });
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Comment allez-vous depuis la chimiothérapie ?',
      replyPolicy: 'until_closed',
    });
    await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Mieux' });
    await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Un peu fatigué' });
    expect((await getPatientThread(ctx.as('patient-get-thread'), pat(), thread.id)).thread.canReply).toBe(
      true,
    );
  });

  it('a practitioner the patient is not a patient of: NOT_IN_PATIENT_BASE (and the same for an unknown id)', async () => {
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), 'dr-stranger')).toMatchObject({
      canStartRequest: false,
      reason: 'NOT_IN_PATIENT_BASE',
    });
  });
});

describe('same-day cooldown (Europe/Paris, injected clock)', () => {
  const startRequest = () =>
    startPatientRequest(ctx.as('patient-start-thread'), pat(), { practitionerId: DOC, body: 'Demande' });

  it('after a treat at 22:30 on the day clocks fall back (25 Oct 2026, CET), refused until 23:00 UTC', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { sameDayCooldown: true });
    ctx.clock.set('2026-10-25T21:30:00.000Z');
    const { thread, message } = await startRequest();
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
      lastSeenMessageId: message.id,
    });

    ctx.clock.set('2026-10-25T22:59:59.999Z');
    const access = await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC);
    expect(access).toMatchObject({
      reason: 'COOLDOWN',
      details: { retryAfter: '2026-10-25T23:00:00.000Z' },
    });
    expect(access.message).toContain('lundi 26 octobre 2026 à 0h00');
    await expect(startRequest()).rejects.toMatchObject({
      code: 'COOLDOWN',
      details: { retryAfter: '2026-10-25T23:00:00.000Z' },
    });

    ctx.clock.set('2026-10-25T23:00:00.000Z');
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      canStartRequest: true,
    });
    await startRequest();
  });

  it('spring forward: treated on Sunday 29 March 2026 at 23:00 CEST, free at 22:00 UTC', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { sameDayCooldown: true });
    ctx.clock.set('2026-03-29T20:00:00.000Z');
    const { thread, message } = await startRequest();
    ctx.clock.set('2026-03-29T21:00:00.000Z');
    // Reply and mark treated in one call also starts the cooldown.
    await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Voici',
      markTreated: true,
      lastSeenMessageId: message.id,
    });
    ctx.clock.set('2026-03-29T21:59:00.000Z');
    await expect(startRequest()).rejects.toMatchObject({
      details: { retryAfter: '2026-03-29T22:00:00.000Z' },
    });
    ctx.clock.set('2026-03-29T22:00:00.000Z');
    await startRequest();
  });

  it('off by default, and a treated practitioner-initiated conversation does not start it', async () => {
    const first = await startRequest();
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), first.thread.id, {
      lastSeenMessageId: first.message.id,
    });
    await startRequest(); // cooldown off
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner('dr-two'), {
      sameDayCooldown: true,
    });
    await ctx.enrol('dr-two', PAT);
    const { thread } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner('dr-two'),
      {
        patientId: PAT,
        body: 'Info',
        replyPolicy: 'until_closed',
      },
    );
    await treatThread(ctx.as('practitioner-treat-thread'), ctx.practitioner('dr-two'), thread.id);
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), 'dr-two')).toMatchObject({
      canStartRequest: true,
    });
  });

  it('turning the option on the same day applies it to a request treated earlier that day', async () => {
    const { thread, message } = await startRequest();
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
      lastSeenMessageId: message.id,
    });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { sameDayCooldown: true });
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), pat(), DOC)).toMatchObject({
      reason: 'COOLDOWN',
    });
  });
});

describe('retract an unread message', () => {
  it('tombstone for both sides, counters decreased in the same write, MessageRetracted recorded', async () => {
    const { thread, message } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Résultat : taux anormal',
      replyPolicy: 'single',
    });
    expect(await patientSummary(ctx.as('patient-summary'), pat())).toEqual({ unreadMessages: 1 });

    ctx.clock.advance(30_000);
    const retracted = await retractMessage(
      ctx.as('practitioner-retract-message'),
      doc(),
      thread.id,
      message.id,
    );
    expect(retracted.message).toEqual({
      id: message.id,
      threadId: thread.id,
      sender: 'practitioner',
      retracted: true,
      retractedAt: '2026-05-14T08:00:30.000Z',
      sentAt: message.sentAt,
      replyPolicy: 'single',
      readByPatientAt: null,
    });
    expect(await patientSummary(ctx.as('patient-summary'), pat())).toEqual({ unreadMessages: 0 });

    const patientView = await getPatientThread(ctx.as('patient-get-thread'), pat(), thread.id);
    expect(patientView.thread.unreadCount).toBe(0);
    expect(patientView.messages).toEqual([
      {
        id: message.id,
        threadId: thread.id,
        sender: 'practitioner',
        retracted: true,
        retractedAt: '2026-05-14T08:00:30.000Z',
        sentAt: message.sentAt,
      },
    ]);
    const practitionerView = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id);
    expect(practitionerView.messages[0]).toMatchObject({ retracted: true });
    expect(practitionerView.messages[0]).not.toHaveProperty('body');
    // The text is gone from the table itself.
    const item = await ctx.db.client.send(
      new GetCommand({ TableName: ctx.db.tableName, Key: keys.message(thread.id, message.id) }),
    );
    expect(item.Item).toMatchObject({ retracted: true });
    expect(item.Item?.body).toBeUndefined();
    expect(JSON.stringify(item.Item)).not.toContain('anormal');

    expect(eventsOf('MessageRetracted').map((e) => e.data)).toEqual([
      {
        threadId: thread.id,
        messageId: message.id,
        practitionerId: DOC,
        patientId: PAT,
        retractedAt: '2026-05-14T08:00:30.000Z',
      },
    ]);
    // Idempotent: the tombstone again, no second event.
    await retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, message.id);
    expect(eventsOf('MessageRetracted')).toHaveLength(1);
  });

  it('409 once the patient has read it; nothing changes', async () => {
    const { thread, message } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Lu ?',
      replyPolicy: 'none',
    });
    ctx.clock.advance(1000);
    await readAsPatient(ctx.as('patient-read-thread'), pat(), thread.id);
    const events = ctx.published.length;
    await expect(
      retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, message.id),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(
      (await getPatientThread(ctx.as('patient-get-thread'), pat(), thread.id)).messages[0],
    ).toMatchObject({ body: 'Lu ?' });
    expect(ctx.published).toHaveLength(events);
  });

  it('only the later unread message can go when an earlier one was read', async () => {
    const { thread, message: first } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      doc(),
      {
        patientId: PAT,
        body: 'Premier',
        replyPolicy: 'until_closed',
      },
    );
    ctx.clock.advance(1000);
    await readAsPatient(ctx.as('patient-read-thread'), pat(), thread.id);
    ctx.clock.advance(1000);
    const { message: second } = await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Second',
    });
    await expect(
      retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, first.id),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, second.id);
    expect(await patientSummary(ctx.as('patient-summary'), pat())).toEqual({ unreadMessages: 0 });
  });

  it("403 for a patient's message, 404 for another practitioner's thread or an unknown message", async () => {
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Question',
    });
    await expect(
      retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, message.id),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      retractMessage(
        ctx.as('practitioner-retract-message'),
        ctx.practitioner('dr-other'),
        thread.id,
        message.id,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, '01HZZZZZZZZZZZZZZZZZZZZZZZ'),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('a retraction racing the patient reading: exactly one wins, the counter stays exact', async () => {
    for (let round = 0; round < 5; round++) {
      const { thread, message } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
        patientId: PAT,
        body: `Message ${round}`,
        replyPolicy: 'none',
      });
      ctx.clock.advance(1000);
      const [retraction, read] = await Promise.allSettled([
        retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, message.id),
        readAsPatient(ctx.as('patient-read-thread'), pat(), thread.id),
      ]);
      expect(read.status).toBe('fulfilled');
      const view = await getPatientThread(ctx.as('patient-get-thread'), pat(), thread.id);
      if (retraction.status === 'fulfilled') {
        expect(view.messages[0]).toMatchObject({ retracted: true });
      } else {
        expect(retraction.reason).toMatchObject({ code: 'CONFLICT' });
        expect(view.messages[0]).toMatchObject({ body: `Message ${round}` });
      }
      expect(await patientSummary(ctx.as('patient-summary'), pat())).toEqual({ unreadMessages: 0 });
    }
  });
});

describe('archive a closed thread', () => {
  it('409 on an open thread; a closed one leaves the practitioner lists, nothing deleted', async () => {
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Demande',
    });
    await expect(
      archivePractitionerThread(ctx.as('practitioner-archive-thread'), doc(), thread.id),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
      lastSeenMessageId: message.id,
    });
    // Treated but never read: archiving also clears the unread badge it would otherwise leave.
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toMatchObject({
      unreadThreads: 1,
    });

    const archived = await archivePractitionerThread(ctx.as('practitioner-archive-thread'), doc(), thread.id);
    expect(archived.thread).toMatchObject({ id: thread.id, status: 'closed', archived: true, unread: false });
    for (const filter of ['all', 'closed', 'open', 'untreated'] as const) {
      const page = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc(), {
        filter,
        limit: 50,
      });
      expect(page.items.map((t) => t.id)).not.toContain(thread.id);
    }
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual({
      untreatedMessages: 0,
      unreadThreads: 0,
      openThreads: 0,
    });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual(await threadTotals(DOC));
    // Still readable by id (a health record) and still in the patient's list.
    expect(
      (await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id)).messages,
    ).toHaveLength(1);
    expect(
      (await listPatientThreads(ctx.as('patient-list-threads'), pat(), { limit: 10 })).items.map((t) => t.id),
    ).toContain(thread.id);

    await archivePractitionerThread(ctx.as('practitioner-archive-thread'), doc(), thread.id);
    expect(eventsOf('ThreadArchived')).toHaveLength(1);
    await expect(
      archivePractitionerThread(
        ctx.as('practitioner-archive-thread'),
        ctx.practitioner('dr-other'),
        thread.id,
      ),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('archiving a read thread leaves the counters alone', async () => {
    const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Demande',
    });
    await readAsPractitioner(ctx.as('practitioner-read-thread'), doc(), thread.id);
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id);
    const before = await practitionerSummary(ctx.as('practitioner-summary'), doc());
    await archivePractitionerThread(ctx.as('practitioner-archive-thread'), doc(), thread.id);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual(before);
  });
});

/*
 * The database, not only the code, enforces the controls: a change committed
 * between the rules' read and the write's transaction makes the transaction
 * fail on its ConditionCheck, and the retry re-decides. Deterministic: the
 * change is injected right after the write read the controls.
 */
describe('a control changed between the decision and the commit', () => {
  /**
   * The Deps of function `name`, with `change` committed right after the write's first
   * read (the controls; for a patient's message in a thread, the thread: that write
   * decides without reading the controls when nothing restricts).
   */
  const racingDeps = (name: FunctionName, change: () => Promise<unknown>): Deps => {
    let fired = false;
    const base = ctx.as(name);
    const afterFirstRead = async <T>(result: T): Promise<T> => {
      if (!fired) {
        fired = true;
        await change();
      }
      return result;
    };
    return {
      ...base,
      controls: {
        ...base.controls,
        read: async (practitionerId, patientId) =>
          afterFirstRead(await base.controls.read(practitionerId, patientId)),
      },
      threads: {
        ...base.threads,
        getThread: async (threadId) => afterFirstRead(await base.threads.getThread(threadId)),
      },
    };
  };

  it('a block: the write is refused PATIENT_BLOCKED and nothing was written', async () => {
    const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Demande',
    });
    const deps = racingDeps('patient-write', () =>
      setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true),
    );
    await expect(writeAsPatient(deps, pat(), thread.id, { body: 'Ajout' })).rejects.toMatchObject({
      code: 'PATIENT_BLOCKED',
    });
    expect(
      (await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id)).messages,
    ).toHaveLength(1);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toMatchObject({
      untreatedMessages: 1,
    });
  });

  it('closing the messaging: a new request is refused MESSAGING_CLOSED', async () => {
    const deps = racingDeps('patient-start-thread', () =>
      updateSettings(ctx.as('practitioner-update-settings'), doc(), { inboxOpen: false }),
    );
    await expect(
      startPatientRequest(deps, pat(), { practitionerId: DOC, body: 'Demande' }),
    ).rejects.toMatchObject({ code: 'MESSAGING_CLOSED' });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual({
      untreatedMessages: 0,
      unreadThreads: 0,
      openThreads: 0,
    });
  });

  it('a treat starting the cooldown: the new request is refused COOLDOWN', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { sameDayCooldown: true });
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Première',
    });
    const deps = racingDeps('patient-start-thread', () =>
      treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, { lastSeenMessageId: message.id }),
    );
    await expect(
      startPatientRequest(deps, pat(), { practitionerId: DOC, body: 'Seconde' }),
    ).rejects.toMatchObject({ code: 'COOLDOWN' });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toMatchObject({
      openThreads: 0,
    });
  });

  it('an unblock: the write that was decided on the blocked state is re-decided, not refused wrongly', async () => {
    const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Demande',
    });
    await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    // Decided while blocked → refused before any transaction; a retry after the unblock goes through.
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Ajout' }),
    ).rejects.toMatchObject({
      code: 'PATIENT_BLOCKED',
    });
    await setPatientFlag(ctx.as('practitioner-unblock-patient'), doc(), PAT, 'blocked', false);
    await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Ajout' });
  });
});

describe('concurrency', () => {
  it('a patient writing while being blocked ends in one consistent state', async () => {
    const threads = await Promise.all(
      Array.from({ length: 3 }, async (_, i) => {
        const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
          patientId: PAT,
          body: `Sujet ${i}`,
          replyPolicy: 'until_closed',
        });
        return thread.id;
      }),
    );
    const eventsBefore = ctx.published.length;
    const writes = Array.from({ length: 30 }, (_, i) =>
      writeAsPatient(ctx.as('patient-write'), pat(), threads[i % 3] as string, { body: `Message ${i}` }),
    );
    const block = setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    const results = await Promise.allSettled(writes);
    await block;

    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'PATIENT_BLOCKED' });
    }
    // Every accepted write is in the table and counted; every refused one left nothing.
    let patientMessages = 0;
    for (const threadId of threads) {
      const view = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId);
      const fromPatient = view.messages.filter((m) => m.sender === 'patient').length;
      expect(view.thread.untreatedCount).toBe(fromPatient);
      patientMessages += fromPatient;
    }
    expect(patientMessages).toBe(accepted);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual(await threadTotals(DOC));
    expect((await practitionerSummary(ctx.as('practitioner-summary'), doc())).untreatedMessages).toBe(
      accepted,
    );
    expect(ctx.published.slice(eventsBefore).filter((e) => e.detailType === 'MessageReceived')).toHaveLength(
      accepted,
    );
    // After the block, every write is refused.
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat(), threads[0] as string, { body: 'Après' }),
    ).rejects.toMatchObject({
      code: 'PATIENT_BLOCKED',
    });
  });

  it('patients starting requests while the messaging closes: each request either exists or was refused', async () => {
    const patients = Array.from({ length: 20 }, (_, i) => `pat-${i}`);
    await Promise.all(patients.map((p) => ctx.enrol(DOC, p)));
    const starts = patients.map((p) =>
      startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(p), {
        practitionerId: DOC,
        body: 'Demande',
      }),
    );
    const close = updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      absenceMessage: 'Fermé',
    });
    const results = await Promise.allSettled(starts);
    await close;
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) {
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({ code: 'MESSAGING_CLOSED', message: 'Fermé' });
    }
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual({
      untreatedMessages: accepted,
      unreadThreads: accepted,
      openThreads: accepted,
    });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toEqual(await threadTotals(DOC));
  });
});

/*
 * What a patient's write asks of DynamoDB (issue: no extra round-trips). The
 * controls are read in one BatchGetItem; a message in a thread, while nothing
 * restricts, is decided without reading them — the transaction checks that state.
 */
describe('round-trips of the patient routes', () => {
  const start = () =>
    startPatientRequest(ctx.as('patient-start-thread'), pat(), { practitionerId: DOC, body: 'Demande' });

  it('a new request: one BatchGetItem (settings and record), one transaction', async () => {
    expect(await ctx.commandsOf('patient-start-thread', start)).toEqual([
      'BatchGetItem',
      'TransactWriteItems',
    ]);
  });

  it('a message in a thread, nothing restricting: the thread, then the transaction (controls not read)', async () => {
    const { thread } = await start();
    const commands = await ctx.commandsOf('patient-write', () =>
      writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Précision' }),
    );
    expect(commands).toEqual(['GetItem', 'TransactWriteItems']);
  });

  it('closed with a reopening date now passed: the check fails, the rules read the controls and let it through', async () => {
    const { thread } = await start();
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      reopensAt: '2026-05-14T09:00:00.000Z',
    });
    ctx.clock.set('2026-05-14T09:00:00.000Z');
    const commands = await ctx.commandsOf('patient-write', async () => {
      const written = await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Rentré ?' });
      expect(written.thread.canReply).toBe(true);
    });
    expect(commands).toEqual(['GetItem', 'TransactWriteItems', 'BatchGetItem', 'TransactWriteItems']);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc())).toMatchObject({
      untreatedMessages: 2,
    });
  });

  it('closed (no date): refused MESSAGING_CLOSED with its text, and the failed check wrote nothing', async () => {
    const { thread } = await start();
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
      inboxOpen: false,
      absenceMessage: 'En congés',
    });
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Ajout' }),
    ).rejects.toMatchObject({ code: 'MESSAGING_CLOSED', message: 'En congés' });
    expect(
      (await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id)).messages,
    ).toHaveLength(1);
    expect(types().filter((t) => t === 'MessageReceived')).toHaveLength(1);
  });

  it('the read receipt reads the controls beside its transaction: 2 round-trips, 3 calls', async () => {
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Résultats',
      replyPolicy: 'none',
    });
    const commands = await ctx.commandsOf('patient-read-thread', () =>
      readAsPatient(ctx.as('patient-read-thread'), pat(), thread.id),
    );
    expect(commands[0]).toBe('GetItem');
    expect(commands.slice(1).sort()).toEqual(['BatchGetItem', 'TransactWriteItems']);
  });

  it('the thread list: one Query, and the controls of all its practitioners in one BatchGetItem', async () => {
    await ctx.enrol('dr-other', PAT);
    await start();
    await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: 'dr-other',
      body: 'Autre',
    });
    const commands = await ctx.commandsOf('patient-list-threads', () =>
      listPatientThreads(ctx.as('patient-list-threads'), pat(), { limit: 20 }),
    );
    expect(commands).toEqual(['Query', 'BatchGetItem']);
  });
});
