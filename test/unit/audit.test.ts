import { describe, expect, it } from 'vitest';
import {
  AUDIT_RETENTION_YEARS,
  auditExpiresAt,
  routeChangeEvent,
  threadChangeEvents,
} from '../../shared/domain/audit.ts';
import {
  addPatientMessage,
  addPractitionerMessage,
  archiveThread,
  markTreated,
  openPatientRequest,
  openPractitionerThread,
  readByPatient,
  readByPractitioner,
  retractPractitionerMessage,
} from '../../shared/domain/thread-rules.ts';
import { errorFields } from '../../shared/runtime/logger.ts';

const input = { id: 't1', practitionerId: 'dr', patientId: 'pat', appointmentId: null };
const T0 = '2026-05-14T08:00:00.000Z';
const T1 = '2026-05-14T08:01:00.000Z';
const T2 = '2026-05-14T08:02:00.000Z';
const ids = { threadId: 't1', practitionerId: 'dr', patientId: 'pat' };

const actions = (events: ReturnType<typeof threadChangeEvents>) => events.map((e) => e.action);

describe('threadChangeEvents: the audit verbs a thread write stands for', () => {
  const request = openPatientRequest({ ...input, now: T0 }).thread;
  const practitionerThread = openPractitionerThread({
    ...input,
    appointmentId: 'appt-1',
    now: T0,
    replyPolicy: 'single',
  }).thread;

  it('a new thread is one `thread.started` with its first message and appointment', () => {
    expect(
      threadChangeEvents({
        before: null,
        after: practitionerThread,
        message: { id: 'm1', sender: 'practitioner' },
      }),
    ).toEqual([
      {
        action: 'thread.started',
        objects: { ...ids, messageId: 'm1', appointmentId: 'appt-1' },
        details: { origin: 'practitioner', replyPolicy: 'single' },
      },
    ]);
    expect(
      threadChangeEvents({ before: null, after: request, message: { id: 'm1', sender: 'patient' } }),
    ).toEqual([
      {
        action: 'thread.started',
        objects: { ...ids, messageId: 'm1' },
        details: { origin: 'patient', replyPolicy: 'until_closed' },
      },
    ]);
  });

  it('a reply is `message.sent` (not also a read), a reply that treats adds `thread.treated`', () => {
    const reply = addPractitionerMessage(request, {
      replyPolicy: 'none',
      markTreated: false,
      now: T1,
    }).thread;
    expect(
      threadChangeEvents({ before: request, after: reply, message: { id: 'm2', sender: 'practitioner' } }),
    ).toEqual([
      {
        action: 'message.sent',
        objects: { ...ids, messageId: 'm2' },
        details: { sender: 'practitioner', replyPolicy: 'none' },
      },
    ]);
    const treated = addPractitionerMessage(request, {
      replyPolicy: 'none',
      markTreated: true,
      now: T1,
    }).thread;
    expect(
      actions(
        threadChangeEvents({
          before: request,
          after: treated,
          message: { id: 'm2', sender: 'practitioner' },
        }),
      ),
    ).toEqual(['message.sent', 'thread.treated']);
  });

  it("a patient's message is `message.sent` by the patient", () => {
    const written = addPatientMessage(request, T1).thread;
    expect(
      threadChangeEvents({ before: request, after: written, message: { id: 'm3', sender: 'patient' } }),
    ).toEqual([
      { action: 'message.sent', objects: { ...ids, messageId: 'm3' }, details: { sender: 'patient' } },
    ]);
  });

  it('treat, reads by either side and archive each have their verb', () => {
    const treated = markTreated(request, T1).thread;
    expect(actions(threadChangeEvents({ before: request, after: treated }))).toEqual(['thread.treated']);
    const readByDoc = readByPractitioner(request, T1).thread;
    expect(threadChangeEvents({ before: request, after: readByDoc })).toEqual([
      { action: 'thread.read', objects: ids, details: { reader: 'practitioner' } },
    ]);
    const readByPat = readByPatient(practitionerThread, T1).thread;
    expect(threadChangeEvents({ before: practitionerThread, after: readByPat })).toEqual([
      { action: 'thread.read', objects: ids, details: { reader: 'patient' } },
    ]);
    // Archiving an unread closed thread also reads it: recorded as the archiving only.
    const archived = archiveThread(treated, T2).thread;
    expect(actions(threadChangeEvents({ before: treated, after: archived }))).toEqual(['thread.archived']);
  });

  it('a retraction is announced by its transaction item', () => {
    const after = retractPractitionerMessage(practitionerThread, {
      sender: 'practitioner',
      sentAt: T0,
    }).thread;
    expect(
      threadChangeEvents({
        before: practitionerThread,
        after,
        hints: [{ action: 'message.retracted', objects: { threadId: 't1', messageId: 'm1' } }],
      }),
    ).toEqual([{ action: 'message.retracted', objects: { ...ids, messageId: 'm1' } }]);
  });

  it('a change with no known verb is still recorded', () => {
    expect(threadChangeEvents({ before: request, after: { ...request, version: 2 } })).toEqual([
      { action: 'thread.updated', objects: ids },
    ]);
  });
});

describe('routeChangeEvent: a practitioner change outside threads', () => {
  it('keeps the path ids, the created id and the NAMES of the body fields, never their values', () => {
    const event = routeChangeEvent('template.created', {
      practitionerId: 'dr',
      params: undefined,
      body: { name: 'Rappel', body: 'Bonjour {{patient.firstName}}, votre traitement…' },
      result: { id: 'tpl-1', name: 'Rappel' },
    });
    expect(event).toEqual({
      action: 'template.created',
      objects: { practitionerId: 'dr', templateId: 'tpl-1' },
      details: { fields: 'body,name' },
    });
    expect(JSON.stringify(event)).not.toContain('Bonjour');
    expect(
      routeChangeEvent('patient.blocked', {
        practitionerId: 'dr',
        params: { patientId: 'pat' },
        body: undefined,
        result: { blocked: true, email: 'camille@example.org' },
      }),
    ).toEqual({ action: 'patient.blocked', objects: { practitionerId: 'dr', patientId: 'pat' } });
  });
});

describe('retention', () => {
  it(`keeps an entry ${AUDIT_RETENTION_YEARS} years (TTL in epoch seconds)`, () => {
    expect(auditExpiresAt('2026-05-14T08:00:00.000Z')).toBe(Date.parse('2046-05-14T08:00:00.000Z') / 1000);
    // A 29 February rolls to 1 March of a common year, never earlier.
    expect(auditExpiresAt('2028-02-29T12:00:00.000Z')).toBe(Date.parse('2048-02-29T12:00:00.000Z') / 1000);
  });
});

describe('errorFields: what may be logged of an error', () => {
  it('masks email addresses, keeps the name and the stack frames without the message line', () => {
    const error = new Error('Email address is not verified: camille.durand@example.org, dr@cabinet.fr');
    error.name = 'MessageRejected';
    const fields = errorFields(error);
    expect(fields.errorName).toBe('MessageRejected');
    expect(fields.errorMessage).toBe('Email address is not verified: <email>, <email>');
    expect(fields.stack).toMatch(/^\s+at /);
    expect(JSON.stringify(fields)).not.toMatch(/camille|example\.org|cabinet\.fr/);
  });

  it('copes with anything thrown', () => {
    expect(errorFields('boom')).toEqual({ errorName: 'string' });
    expect(errorFields(undefined)).toEqual({ errorName: 'undefined' });
  });
});
