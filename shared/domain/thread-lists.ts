import type { Thread } from './types.ts';

/**
 * What each side's thread list reads of a thread: exactly the attributes its
 * index projects (shared/db/table-definition.ts, INCLUDE), and all the list code
 * gets (a list entry is typed as these fields only, so a view reading anything
 * else does not compile). Per side, so that a change only the other side sees
 * never rewrites an index entry: a patient's read (its unread count, its read
 * marks, the version) leaves the practitioner's entries on gsi1–gsi3 untouched,
 * and a practitioner's read leaves the patient's entry on gsi4 untouched.
 */
const COMMON_LIST_FIELDS = [
  'id',
  'practitionerId',
  'patientId',
  'origin',
  'status',
  'replyPolicy',
  'appointmentId',
  'createdAt',
  'lastMessageAt',
  'treatedAt',
] as const satisfies readonly (keyof Thread)[];

/** The practitioner's inbox (gsi1–gsi3): their unread count and the untreated one; the counters reconciler sums them. */
export const PRACTITIONER_LIST_FIELDS = [
  ...COMMON_LIST_FIELDS,
  'archived',
  'untreatedCount',
  'unreadForPractitioner',
] as const satisfies readonly (keyof Thread)[];

/** The patient's inbox (gsi4): their unread count and what `canReply` needs (the reply state). */
export const PATIENT_LIST_FIELDS = [
  ...COMMON_LIST_FIELDS,
  'unreadForPatient',
  'patientRepliesLeft',
] as const satisfies readonly (keyof Thread)[];

/** The triage index (gsi7): the practitioner's list, with the assignee (SPEC 11.2). */
export const ASSIGNEE_LIST_FIELDS = [
  ...PRACTITIONER_LIST_FIELDS,
  'assigneeId',
] as const satisfies readonly (keyof Thread)[];

/** A list entry; `assigneeId` only where the list knows it (gsi7, or the thread item itself). */
export type PractitionerThreadListEntry = Pick<Thread, (typeof PRACTITIONER_LIST_FIELDS)[number]> &
  Pick<Thread, 'assigneeId'>;
export type PatientThreadListEntry = Pick<Thread, (typeof PATIENT_LIST_FIELDS)[number]>;
