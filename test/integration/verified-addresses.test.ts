/**
 * Verified patient notification addresses (issue 13 part 2, ADR 0010) on
 * DynamoDB Local and a real aws-ses-v2-local: the email a practitioner types
 * on a patient record never receives anything; the patient's own verified
 * identity address, or the agenda's, does; the subject names no practitioner.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StoredEmail } from '../../local/ses-local.ts';
import { keys } from '../../shared/db/keys.ts';
import { PATIENT_NOTIFICATION_SUBJECT } from '../../shared/domain/notifications.ts';
import { createCommunication, runCommunicationChunk } from '../../shared/use-cases/communications.ts';
import { notifyPatientOfMessage } from '../../shared/use-cases/notifications.ts';
import { recordPatientIdentity } from '../../shared/use-cases/patient-contact.ts';
import { readAsPatient, writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import {
  replyAsPractitioner,
  startPractitionerThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { useLocalSes } from '../support/mail.ts';
import { agenda } from './agenda-helpers.ts';
import { createTestContext, type TestContext } from './harness.ts';
import { putPatient } from './practice.ts';

const ses = useLocalSes();
let ctx: TestContext;
let delivered = 0;

beforeEach(async () => {
  ctx = await createTestContext('2026-05-14T08:00:00.000Z', { mailer: ses.mailer() });
  delivered = 0;
});

const inbox = ses.inbox;

/** MessageSent events published since the last call, delivered to notify-patient (as its rule does). */
const notify = async () => {
  const batch = ctx.published.slice(delivered);
  delivered = ctx.published.length;
  const outcomes: string[] = [];
  for (const e of batch) {
    if (e.detailType === 'MessageSent')
      outcomes.push(await notifyPatientOfMessage(ctx.as('notify-patient'), e.data as never));
  }
  return outcomes;
};

const contactOf = async (patientId: string) =>
  (
    await ctx.db.client.send(
      new GetCommand({
        TableName: ctx.db.tableName,
        Key: keys.patientContact(patientId),
        ConsistentRead: true,
      }),
    )
  ).Item;

/** A practitioner with a display name, and a patient whose record carries a practitioner-typed email. */
const setup = async () => {
  const doc = `dr-${randomUUID().slice(0, 8)}`;
  const pat = `pat-${randomUUID().slice(0, 8)}`;
  const typed = `${pat}@typed-by-practitioner.test`;
  await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
    displayName: 'Dr Martin, cardiologue',
  });
  await putPatient(ctx, doc, pat, { email: typed });
  return { doc, pat, typed, own: `${pat}@own.test`, fromAgenda: `${pat}@agenda.test` };
};

const practitionerWrites = (doc: string, pat: string, body = 'Vos résultats sont arrivés') =>
  startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(doc), {
    patientId: pat,
    body,
  });

describe('the practitioner-typed email', () => {
  it('never receives anything: without a verified address the notification is skipped', async () => {
    const { doc, pat, typed } = await setup();
    await practitionerWrites(doc, pat);
    expect(await notify()).toEqual(['no_recipient']);
    expect(await inbox(typed)).toHaveLength(0);
    expect(await contactOf(pat)).toBeUndefined();
  });

  it('still never receives anything once the patient has a verified address (it goes there instead)', async () => {
    const { doc, pat, typed, own } = await setup();
    expect(
      await recordPatientIdentity(ctx.as('patient-write'), pat, { email: own, emailVerified: true }),
    ).toBe('recorded');
    await practitionerWrites(doc, pat);
    expect(await notify()).toEqual(['sent']);
    expect(await inbox(typed)).toHaveLength(0);
    expect(await inbox(own)).toHaveLength(1);
  });

  it('a group communication emails verified addresses only, never a typed one', async () => {
    const { doc, typed } = await setup();
    const other = `pat-${randomUUID().slice(0, 8)}`;
    await putPatient(ctx, doc, other, {
      firstName: 'Léa',
      lastName: 'Roux',
      email: `${other}@typed-by-practitioner.test`,
      attributes: { primaryCare: true },
    });
    await recordPatientIdentity(ctx.as('patient-write'), other, {
      email: `${other}@own.test`,
      emailVerified: true,
    });
    const from = ctx.published.length;
    await createCommunication(ctx.as('practitioner-create-communication'), ctx.practitioner(doc), {
      body: 'Le cabinet sera fermé lundi',
      audience: { all: true },
    });
    // The fan-out, chunk after chunk, as the bus delivers its requests.
    for (let i = from; i < ctx.published.length; i++) {
      const e = ctx.published[i];
      if (e?.detailType !== 'CommunicationRequested' && e?.detailType !== 'CommunicationChunkRequested')
        continue;
      await runCommunicationChunk(ctx.as('communication-fanout'), {
        practitionerId: e.data.practitionerId as string,
        communicationId: e.data.communicationId as string,
        seq: e.detailType === 'CommunicationRequested' ? 0 : (e.data.seq as number),
      });
    }
    expect((await notify()).sort()).toEqual(['no_recipient', 'sent']);
    expect(await inbox(typed)).toHaveLength(0);
    expect(await inbox(`${other}@typed-by-practitioner.test`)).toHaveLength(0);
    expect(await inbox(`${other}@own.test`)).toHaveLength(1);
  });
});

describe('the patient’s own identity address', () => {
  it('is recorded when the patient uses the service with a verified email claim, and notified there', async () => {
    const { doc, pat, own } = await setup();
    const started = await practitionerWrites(doc, pat);
    expect(await notify()).toEqual(['no_recipient']);
    // The patient opens the thread (patient-read-thread), their token says email_verified: true.
    await readAsPatient(ctx.as('patient-read-thread'), ctx.patient(pat), started.thread.id);
    expect(
      await recordPatientIdentity(ctx.as('patient-read-thread'), pat, { email: own, emailVerified: true }),
    ).toBe('recorded');
    expect(await contactOf(pat)).toMatchObject({
      email: own,
      source: 'identity',
      verifiedAt: ctx.clock.now().toISOString(),
    });
    await writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), started.thread.id, { body: 'Merci' });
    await replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(doc), started.thread.id, {
      body: 'Je vous en prie',
    });
    expect(await notify()).toEqual(['sent']);
    expect(await inbox(own)).toHaveLength(1);
  });

  it('costs one conditional PutItem per container and address, then nothing on the hot path', async () => {
    const { pat, own } = await setup();
    const identity = { email: own, emailVerified: true };
    expect(
      await ctx.commandsOf('patient-write', () =>
        recordPatientIdentity(ctx.as('patient-write'), pat, identity),
      ),
    ).toEqual(['PutItem']);
    expect(
      await ctx.commandsOf('patient-write', async () =>
        expect(await recordPatientIdentity(ctx.as('patient-write'), pat, identity)).toBe('known'),
      ),
    ).toEqual([]);
    // Another address (changed and verified in the pool): written again, replacing the old one.
    const changed = `${pat}@new.test`;
    expect(
      await recordPatientIdentity(ctx.as('patient-write'), pat, { email: changed, emailVerified: true }),
    ).toBe('recorded');
    expect(await contactOf(pat)).toMatchObject({ email: changed, source: 'identity' });
  });

  it('email_verified false (boolean or the string form) is never recorded', async () => {
    const { doc, pat, own, typed } = await setup();
    expect(
      await recordPatientIdentity(ctx.as('patient-write'), pat, { email: own, emailVerified: false }),
    ).toBe('unverified');
    expect(await recordPatientIdentity(ctx.as('patient-write'), pat, undefined)).toBe('unverified');
    // A verified claim that is not an address is not recorded either.
    expect(
      await recordPatientIdentity(ctx.as('patient-write'), pat, {
        email: 'not an address',
        emailVerified: true,
      }),
    ).toBe('unverified');
    expect(await contactOf(pat)).toBeUndefined();
    await practitionerWrites(doc, pat);
    expect(await notify()).toEqual(['no_recipient']);
    expect(await inbox(own)).toHaveLength(0);
    expect(await inbox(typed)).toHaveLength(0);
  });
});

describe('the agenda’s address', () => {
  it('is used when the patient has no identity address', async () => {
    const { doc, pat, typed, fromAgenda } = await setup();
    const calendar = agenda(ctx);
    await calendar.deliver('AppointmentBooked', calendar.booked(doc, 'appt-1', pat, { email: fromAgenda }));
    expect(await contactOf(pat)).toMatchObject({ email: fromAgenda, source: 'agenda' });
    await practitionerWrites(doc, pat);
    expect(await notify()).toEqual(['sent']);
    expect(await inbox(fromAgenda)).toHaveLength(1);
    expect(await inbox(typed)).toHaveLength(0);
  });

  it('never overwrites an identity address, and a late booking never replaces a newer one', async () => {
    const { doc, pat, own, fromAgenda } = await setup();
    const calendar = agenda(ctx);
    await calendar.deliver('AppointmentBooked', calendar.booked(doc, 'appt-1', pat, { email: fromAgenda }), {
      time: '2026-05-14T09:00:00Z',
    });
    // An older booking delivered late: the newer agenda address stays.
    await calendar.deliver(
      'AppointmentBooked',
      calendar.booked(doc, 'appt-0', pat, { email: `${pat}@older-agenda.test` }),
      { time: '2026-05-14T08:30:00Z' },
    );
    expect(await contactOf(pat)).toMatchObject({ email: fromAgenda, source: 'agenda' });
    // The patient's own verified address replaces the agenda's…
    await recordPatientIdentity(ctx.as('patient-start-thread'), pat, { email: own, emailVerified: true });
    // …and a newer booking with another address does not replace it.
    await calendar.deliver(
      'AppointmentBooked',
      calendar.booked(doc, 'appt-2', pat, { email: `${pat}@newer-agenda.test` }),
      { time: '2026-05-15T09:00:00Z' },
    );
    expect(await contactOf(pat)).toMatchObject({ email: own, source: 'identity' });
    await practitionerWrites(doc, pat);
    expect(await notify()).toEqual(['sent']);
    expect(await inbox(own)).toHaveLength(1);
    expect(await inbox(fromAgenda)).toHaveLength(0);
    expect(await inbox(`${pat}@newer-agenda.test`)).toHaveLength(0);
  });
});

describe('the email itself', () => {
  it('has a neutral subject: no practitioner name, no specialty, no health content', async () => {
    const { doc, pat, own } = await setup();
    await recordPatientIdentity(ctx.as('patient-write'), pat, { email: own, emailVerified: true });
    await practitionerWrites(doc, pat, 'Votre ECG montre une arythmie');
    // Message and contact read in parallel, then claim and confirm: no settings or record read.
    const commands = await ctx.commandsOf('notify-patient', async () =>
      expect(await notify()).toEqual(['sent']),
    );
    expect(commands).toEqual(['GetItem', 'GetItem', 'UpdateItem', 'TransactWriteItems']);
    const [email] = (await inbox(own)) as [StoredEmail];
    expect(email.subject).toBe(PATIENT_NOTIFICATION_SUBJECT);
    const content = `${email.subject}\n${email.body.text ?? ''}\n${email.body.html ?? ''}`;
    for (const revealing of ['Martin', 'cardiologue', 'Dr ', 'ECG', 'arythmie', 'Camille', 'Durand']) {
      expect(content).not.toContain(revealing);
    }
    expect(email.body.text).toContain('Un professionnel de santé vous a écrit');
  });
});
