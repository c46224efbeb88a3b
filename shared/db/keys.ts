/**
 * Every key of the single table is built here and nowhere else. Items carry
 * generic key attributes (pk/sk, gsiNpk/gsiNsk) so entities can share indexes.
 * The access patterns they serve are listed in docs/data-model.md.
 */
export interface ItemKey {
  pk: string;
  sk: string;
}

const practitionerPk = (practitionerId: string) => `PRAC#${practitionerId}`;
const patientPk = (patientId: string) => `PAT#${patientId}`;
const threadPk = (threadId: string) => `THREAD#${threadId}`;

export const THREAD_SK = 'THREAD';
export const MESSAGE_SK_PREFIX = 'MSG#';
export const PATIENT_RECORD_SK_PREFIX = 'PATIENT#';

export const keys = {
  practitionerSettings: (practitionerId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: 'SETTINGS',
  }),
  practitionerCounters: (practitionerId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: 'COUNTERS',
  }),
  patientRecord: (practitionerId: string, patientId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${PATIENT_RECORD_SK_PREFIX}${patientId}`,
  }),
  patientBasePartition: (practitionerId: string) => practitionerPk(practitionerId),
  patientCounters: (patientId: string): ItemKey => ({ pk: patientPk(patientId), sk: 'COUNTERS' }),
  thread: (threadId: string): ItemKey => ({ pk: threadPk(threadId), sk: THREAD_SK }),
  threadPartition: (threadId: string) => threadPk(threadId),
  message: (threadId: string, messageId: string): ItemKey => ({
    pk: threadPk(threadId),
    sk: `${MESSAGE_SK_PREFIX}${messageId}`,
  }),
} as const;

/** Newest-activity-first sort key shared by every inbox index; the id breaks ties. */
export const activitySortKey = (lastMessageAt: string, threadId: string) => `${lastMessageAt}#${threadId}`;

export type PractitionerInboxFilter = 'all' | 'open' | 'closed' | 'untreated';

/** Partition keys of the inbox indexes (see table-definition.ts for the index names). */
export const inboxKeys = {
  practitionerAll: (practitionerId: string) => `${practitionerPk(practitionerId)}#THREADS`,
  practitionerByStatus: (practitionerId: string, status: 'open' | 'closed') =>
    `${practitionerPk(practitionerId)}#${status.toUpperCase()}`,
  practitionerUntreated: (practitionerId: string) => `${practitionerPk(practitionerId)}#UNTREATED`,
  patientAll: (patientId: string) => `${patientPk(patientId)}#THREADS`,
} as const;
