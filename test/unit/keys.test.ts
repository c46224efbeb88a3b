import { describe, expect, it } from 'vitest';
import { activitySortKey, inboxKeys, keys } from '../../shared/db/keys.ts';
import { markTreated, openPatientRequest } from '../../shared/domain/thread-rules.ts';
import { toThreadItem } from '../../shared/repositories/thread-repository.ts';

describe('key builders', () => {
  it('keeps a thread and its messages in one partition, messages before the thread item', () => {
    expect(keys.thread('t1').pk).toBe(keys.message('t1', '01J').pk);
    expect(keys.message('t1', '01J').sk < keys.thread('t1').sk).toBe(true);
  });

  it('puts settings, counters and patient records in the practitioner partition', () => {
    expect(keys.practitionerSettings('d').pk).toBe(keys.practitionerCounters('d').pk);
    expect(keys.patientRecord('d', 'p')).toEqual({ pk: 'PRAC#d', sk: 'PATIENT#p' });
    expect(keys.patientCounters('p')).toEqual({ pk: 'PAT#p', sk: 'COUNTERS' });
  });

  it('sorts activity keys chronologically', () => {
    expect(
      activitySortKey('2026-01-02T00:00:00.000Z', 'a') > activitySortKey('2026-01-01T23:59:59.999Z', 'z'),
    ).toBe(true);
  });
});

describe('thread index keys', () => {
  const request = openPatientRequest({
    id: 't',
    practitionerId: 'd',
    patientId: 'p',
    appointmentId: null,
    now: '2026-01-01T00:00:00.000Z',
  });

  it('lists an untreated open thread in all, open and untreated views and the patient inbox', () => {
    const item = toThreadItem(request.thread);
    expect(item.gsi1pk).toBe(inboxKeys.practitionerAll('d'));
    expect(item.gsi2pk).toBe(inboxKeys.practitionerByStatus('d', 'open'));
    expect(item.gsi3pk).toBe(inboxKeys.practitionerUntreated('d'));
    expect(item.gsi4pk).toBe(inboxKeys.patientAll('p'));
  });

  it('drops a treated thread from the untreated view and files it as closed', () => {
    const item = toThreadItem(markTreated(request.thread, '2026-01-01T01:00:00.000Z').thread);
    expect(item.gsi3pk).toBeUndefined();
    expect(item.gsi2pk).toBe(inboxKeys.practitionerByStatus('d', 'closed'));
  });

  it('keeps an archived thread out of every practitioner view but in the patient inbox', () => {
    const item = toThreadItem({ ...request.thread, archived: true });
    expect(item.gsi1pk).toBeUndefined();
    expect(item.gsi2pk).toBeUndefined();
    expect(item.gsi3pk).toBeUndefined();
    expect(item.gsi4pk).toBe(inboxKeys.patientAll('p'));
  });
});
