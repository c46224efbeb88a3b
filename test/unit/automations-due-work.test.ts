import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppointmentBooked } from '../../events/appointment-booked.ts';
import { AppointmentCompleted } from '../../events/appointment-completed.ts';
import { DUE_WORK_SHARDS, dueWorkKeys, keys } from '../../shared/db/keys.ts';
import { automationDueAt, automationWorkId, motiveMatches } from '../../shared/domain/automations.ts';
import { retryDelayMs } from '../../shared/domain/due-work.ts';
import {
  appointmentMessageSchema,
  automationSchema,
  replySchema,
  startThreadSchema,
  templateSchema,
} from '../../shared/http/practitioner-schemas.ts';

describe('automation rules', () => {
  it('matches any motive without a filter, the same motive regardless of case and outer spaces', () => {
    expect(motiveMatches({ motive: null }, null)).toBe(true);
    expect(motiveMatches({ motive: null }, 'Suivi')).toBe(true);
    expect(motiveMatches({ motive: 'Vaccination' }, ' vaccination ')).toBe(true);
    expect(motiveMatches({ motive: 'Vaccination' }, 'Suivi')).toBe(false);
    expect(motiveMatches({ motive: 'Vaccination' }, null)).toBe(false);
    // Composed and decomposed accents are the same motive.
    expect(motiveMatches({ motive: 'Premi\u00e8re consultation' }, 'Premie\u0300re consultation')).toBe(true);
  });

  it('is due the delay after completion', () => {
    expect(automationDueAt({ delayMinutes: 0 }, '2024-05-14T13:00:00.000Z')).toBe('2024-05-14T13:00:00.000Z');
    expect(automationDueAt({ delayMinutes: 90 }, '2024-05-14T13:00:00+02:00')).toBe(
      '2024-05-14T12:30:00.000Z',
    );
  });

  it('names one unit of work per (automation, appointment)', () => {
    const a = automationWorkId({ practitionerId: 'd', automationId: 'A', appointmentId: 'x' });
    expect(a).toBe(automationWorkId({ practitionerId: 'd', automationId: 'A', appointmentId: 'x' }));
    expect(a).not.toBe(automationWorkId({ practitionerId: 'd', automationId: 'A', appointmentId: 'y' }));
  });
});

describe('due-work keys', () => {
  it('spreads work over the shards, always the same shard for the same work', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.date({ noInvalidDate: true }), (workId, date) => {
        const index = dueWorkKeys.index(workId, date.toISOString());
        expect(dueWorkKeys.shards()).toContain(index.gsi5pk);
        expect(dueWorkKeys.index(workId, '2030-01-01T00:00:00.000Z').gsi5pk).toBe(index.gsi5pk);
      }),
    );
    const used = new Set(Array.from({ length: 200 }, (_, i) => dueWorkKeys.index(`w-${i}`, 'x').gsi5pk));
    expect(used.size).toBe(DUE_WORK_SHARDS);
  });

  it('a sweep at `now` takes exactly the work due at or before now', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (now, offsetMs, workId) => {
          const dueAt = new Date(now.getTime() + offsetMs).toISOString();
          const taken = dueWorkKeys.index(workId, dueAt).gsi5sk <= dueWorkKeys.dueUpTo(now.toISOString());
          expect(taken).toBe(offsetMs <= 0);
        },
      ),
    );
  });

  it('keeps appointments, templates, automations and their markers in the practitioner partition', () => {
    expect(keys.appointment('d', 'a')).toEqual({ pk: 'PRAC#d', sk: 'APPT#a' });
    expect(keys.template('d', 't')).toEqual({ pk: 'PRAC#d', sk: 'TEMPLATE#t' });
    expect(keys.automation('d', 'u')).toEqual({ pk: 'PRAC#d', sk: 'AUTOMATION#u' });
    expect(keys.automationRun('d', 'u', 'a')).toEqual({ pk: 'PRAC#d', sk: 'AUTORUN#u#a' });
  });

  it('backs off 1, 2, 4… minutes, at most an hour', () => {
    expect([1, 2, 3, 4, 7, 20].map((n) => retryDelayMs(n) / 60_000)).toEqual([1, 2, 4, 8, 60, 60]);
  });
});

describe('HTTP schemas: body or templateId', () => {
  it('takes exactly one of body and templateId wherever a body is accepted', () => {
    for (const schema of [replySchema, appointmentMessageSchema]) {
      expect(schema.safeParse({ body: 'Bonjour' }).success).toBe(true);
      expect(schema.safeParse({ templateId: 'T1' }).success).toBe(true);
      expect(schema.safeParse({ body: 'Bonjour', templateId: 'T1' }).success).toBe(false);
      expect(schema.safeParse({}).success).toBe(false);
    }
    expect(
      startThreadSchema.safeParse({ patientId: 'p', templateId: 'T1', appointmentId: 'a' }).success,
    ).toBe(true);
    expect(startThreadSchema.safeParse({ patientId: 'p' }).success).toBe(false);
  });

  it('bounds templates and automations', () => {
    expect(templateSchema.safeParse({ name: 'x', body: 'y'.repeat(5001) }).success).toBe(false);
    expect(templateSchema.safeParse({ name: 'x'.repeat(101), body: 'y' }).success).toBe(false);
    expect(templateSchema.safeParse({ name: 'x', body: 'y', extra: 1 }).success).toBe(false);
    expect(automationSchema.safeParse({ templateId: 'T', delayMinutes: -1 }).success).toBe(false);
    expect(automationSchema.safeParse({ templateId: 'T', delayMinutes: 1.5 }).success).toBe(false);
    expect(automationSchema.parse({ templateId: 'T', delayMinutes: 0 })).toMatchObject({
      trigger: 'appointment_completed',
    });
  });
});

describe('agenda event schemas', () => {
  const booked = {
    appointmentId: 'a',
    practitionerId: 'd',
    patientId: 'p',
    startsAt: '2024-05-14T14:30:00+02:00',
    motive: 'Suivi',
    patient: { firstName: 'Camille', lastName: 'Durand', email: 'c@example.org' },
  };

  it('accepts offsets, tolerates (and drops) fields the agenda may add', () => {
    const parsed = AppointmentBooked.schema.parse({
      ...booked,
      room: '2',
      patient: { ...booked.patient, phone: 'x' },
    });
    expect(parsed).not.toHaveProperty('room');
    expect(parsed.patient).not.toHaveProperty('phone');
    expect(
      AppointmentCompleted.schema.safeParse({ ...booked, completedAt: '2024-05-14T13:00:00Z' }).success,
    ).toBe(true);
    expect(AppointmentBooked.source).toBe('agenda');
  });

  it('refuses a detail without what the service needs', () => {
    expect(AppointmentBooked.schema.safeParse({ ...booked, startsAt: 'demain' }).success).toBe(false);
    expect(AppointmentBooked.schema.safeParse({ ...booked, patient: undefined }).success).toBe(false);
    expect(AppointmentCompleted.schema.safeParse({ appointmentId: 'a', practitionerId: 'd' }).success).toBe(
      false,
    );
  });
});
