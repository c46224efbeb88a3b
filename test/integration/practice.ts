/**
 * A practitioner's practice as the integration tests set it up and drive it, on a test context
 * (./harness.ts), each through the Deps of the function that does it in AWS:
 *
 *   putPatient(ctx, doc, pat, record?)              PUT a patient record (Camille Durand, no email nor attribute unless said)
 *   seedPatientBase(ctx, doc, patientIds, attrs?)   hundreds of records in BatchWriteItem calls
 *   scheduleLater / cancelScheduled / deliverScheduled / scheduledList   a practitioner's deferred messages
 */
import { patientRecordItem, writeBatches } from '../../scripts/bench/seed.ts';
import type { PatientAttribute, PatientAttributes } from '../../shared/domain/types.ts';
import type { PatientRecordData } from '../../shared/repositories/patient-repository.ts';
import { putPatientRecord } from '../../shared/use-cases/practitioner-admin.ts';
import {
  cancelScheduledMessage,
  deliverScheduledMessage,
  listScheduledMessages,
  scheduleNewThread,
} from '../../shared/use-cases/scheduled-messages.ts';
import { NO_ATTRIBUTES, type TestContext } from './harness.ts';

/** The practitioner puts a patient in their base (practitioner-put-patient); `attributes` are the true ones. */
export const putPatient = (
  ctx: TestContext,
  practitionerId: string,
  patientId: string,
  record: Partial<Omit<PatientRecordData, 'attributes'>> & { attributes?: Partial<PatientAttributes> } = {},
) =>
  putPatientRecord(ctx.as('practitioner-put-patient'), ctx.practitioner(practitionerId), patientId, {
    firstName: 'Camille',
    lastName: 'Durand',
    email: null,
    ...record,
    attributes: { ...NO_ATTRIBUTES, ...record.attributes },
  });

/**
 * Puts patients in a practitioner's base in BatchWriteItem calls (scripts/bench/seed.ts: records as
 * the repository writes them, `Prénom<n>` `Nom<n>`, no email), for bases too large to PUT one by one.
 */
export const seedPatientBase = async (
  ctx: TestContext,
  practitionerId: string,
  patientIds: readonly string[],
  attributesOf: (n: number) => Partial<Record<PatientAttribute, boolean>> = () => ({}),
) => {
  const now = ctx.clock.now().toISOString();
  const items = patientIds.map((patientId, n) =>
    patientRecordItem(
      practitionerId,
      patientId,
      {
        firstName: `Prénom${n}`,
        lastName: `Nom${n}`,
        email: null,
        attributes: { ...NO_ATTRIBUTES, ...attributesOf(n) },
      },
      now,
    ),
  );
  await writeBatches(ctx.db, items);
};

/** The practitioner schedules a new thread (practitioner-start-thread with `sendAt`). */
export const scheduleLater = (
  ctx: TestContext,
  practitionerId: string,
  input: Parameters<typeof scheduleNewThread>[2],
) => scheduleNewThread(ctx.as('practitioner-start-thread'), ctx.practitioner(practitionerId), input);

/** The practitioner cancels a scheduled message (practitioner-cancel-scheduled-message). */
export const cancelScheduled = (ctx: TestContext, practitionerId: string, scheduledMessageId: string) =>
  cancelScheduledMessage(
    ctx.as('practitioner-cancel-scheduled-message'),
    ctx.practitioner(practitionerId),
    scheduledMessageId,
  );

/** One run of a scheduled message's due work (due-work-sweep), bypassing the due-work lease. */
export const deliverScheduled = (ctx: TestContext, practitionerId: string, scheduledMessageId: string) =>
  deliverScheduledMessage(ctx.as('due-work-sweep'), { practitionerId, scheduledMessageId });

/** The practitioner's scheduled messages (`scheduled`: still pending; `all`: with their outcome), first 100. */
export const scheduledList = async (ctx: TestContext, practitionerId: string, status: 'scheduled' | 'all') =>
  (
    await listScheduledMessages(
      ctx.as('practitioner-list-scheduled-messages'),
      ctx.practitioner(practitionerId),
      {
        status,
        limit: 100,
      },
    )
  ).items;
