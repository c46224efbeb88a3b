/**
 * Erasure of a patient's contact data (SPEC 11.6; docs/adr/0013-gdpr-export-erasure.md).
 *
 * - `POST /v1/practitioner/patients/{patientId}/erasure`: what THIS practitioner
 *   holds about the patient — their record's names and email. Another
 *   practitioner's record of the same patient is theirs to keep (each is a
 *   separate controller of their own patient file).
 * - `POST /v1/patient/erasure`: everything the service holds about the patient —
 *   every practitioner's record (found by the back-references, no Scan), the
 *   exports (items and files), and each kind listed below.
 *
 * Message contents stay: they are the medical record, kept for the legal
 * retention and then deleted by TTL (shared/domain/retention.ts). The audit
 * trail and the events carry ids only. Both routes are idempotent: a repeat
 * answers the same `erasedAt`.
 */
import { AttachmentRemoved } from '../../events/attachment-removed.ts';
import { PatientErased } from '../../events/patient-erased.ts';
import type { ItemKind } from '../db/keys.ts';
import { NotFound } from '../domain/errors.ts';
import { event } from '../runtime/publisher.ts';
import { recordAudit } from './audit.ts';
import type { Deps, PatientActor, PractitionerActor } from './deps.ts';
import { type PersonalDataPorts, patientThreadsWithMessages } from './exports.ts';

export interface ErasureRun {
  deps: Deps;
  /** The records, exports and markers; the export files (store null on the practitioner's route). */
  ports: PersonalDataPorts;
  patientId: string;
  /** The practitioners whose records are erased (one for the practitioner route, all for the patient's). */
  practitionerIds: readonly string[];
  /** The patient's own request: also what is held under the patient (exports, addresses). */
  wholePatient: boolean;
  now: string;
  /** Filled by the record holder: each erased record's `erasedAt` (kept across repeats). */
  erasedAt: Map<string, string>;
}

export interface ContactDataHolder {
  kind: ItemKind;
  /** What it holds and why erasing it this way is enough (docs/data-model.md lists the same). */
  why: string;
  erase(run: ErasureRun): Promise<void>;
}

/**
 * EVERY kind of item that holds a patient's contact data, and how it is erased:
 * adding a kind that holds names or an email is one line here (test/unit/erasure-kinds.test.ts
 * fails until each kind of ITEM_KINDS is in this list or in HOLDS_NO_CONTACT_DATA).
 */
export const CONTACT_DATA_HOLDERS: readonly ContactDataHolder[] = [
  {
    kind: 'patientRecord',
    why: 'names and email of the patient in a practitioner base: removed, ids and flags kept',
    async erase({ ports, patientId, practitionerIds, now, erasedAt }) {
      await Promise.all(
        practitionerIds.map(async (id) => {
          const erased = await ports.data.eraseContactData(id, patientId, now);
          if (erased) erasedAt.set(id, erased.erasedAt);
        }),
      );
    },
  },
  {
    kind: 'patientContact',
    why: "the patient's verified notification address: replaced by a tombstone (when only) on the patient's own erasure",
    async erase({ deps, patientId, wholePatient, now }) {
      if (wholePatient) await deps.contacts.erase(patientId, now);
    },
  },
  {
    kind: 'patientExport',
    why: 'an export file holds the messages as the patient sees them: file and item deleted',
    async erase({ ports, patientId, wholePatient }) {
      if (!wholePatient) return;
      if (!ports.store) throw new Error("The patient's erasure needs the export files (access.exportFiles)");
      const exports = await ports.data.list(patientId);
      await ports.store.remove(exports.flatMap((e) => (e.objectKey ? [e.objectKey] : [])));
      await Promise.all(exports.map((e) => ports.data.delete(patientId, e.exportId)));
    },
  },
  {
    kind: 'attachment',
    why:
      "the files of the patient's threads (photos, documents, names in file names): item deleted, its object with " +
      'it (AttachmentRemoved → attachment-remover); the message keeps only its ref. An upload no message took ' +
      "is deleted within 24 hours anyway (attachment-expiry). A group communication's file is the practitioner's " +
      'document shared by all its recipients and holds nothing of this patient: left to the others (ADR 0016)',
    async erase({ deps, patientId, wholePatient }) {
      if (!wholePatient) return;
      const ids = new Set<string>();
      for (const { messages } of await patientThreadsWithMessages(deps, patientId)) {
        for (const message of messages) for (const a of message.attachments ?? []) ids.add(a.id);
      }
      for (const attachmentId of ids) {
        // Shared by a communication: never this patient's to delete (the same file reached every recipient).
        if ((await deps.attachments.get(attachmentId))?.communicationId) continue;
        await deps.attachments.delete(
          attachmentId,
          deps.outbox.items([event(AttachmentRemoved, { attachmentId, reason: 'erased' })]),
        );
      }
    },
  },
];

/**
 * The kinds that hold no contact data (verified; the erasure test searches every
 * item for the names and email): with the reason. Message and thread items hold
 * the medical record (kept for the legal retention, then TTL).
 */
export const HOLDS_NO_CONTACT_DATA: Readonly<Partial<Record<ItemKind, string>>> = {
  settings: "the practitioner's own settings (their email, not a patient's)",
  practitionerCounters: 'counts',
  notificationSlot: "the practitioner's email caps: times and claim ids",
  digestDue: 'a queue entry: keys only',
  appointment: "ids, time, status and the agenda's motive; never names or email (the record gets those)",
  template: "the practitioner's texts with placeholders, never a rendered name",
  automation: 'a trigger and a template id',
  automationRun: 'ids',
  communication: 'counts and ids',
  communicationContent: 'the text as typed, placeholders unrendered',
  scheduledMessage: 'the message to send (medical record once sent); placeholders are rendered at delivery',
  patientCounters: 'counts',
  patientQuota: 'counts and a day (ADR 0011)',
  practitionerQuota: 'counts and a day (ADR 0011)',
  auditHead: "the audit chain's head and entry markers: sequence numbers, hashes and ids (ADR 0012)",
  patientNotification:
    'one email sent: ids, times, the SES message id; the address is read from the record at send time',
  patientRecordRef: 'ids (practitioner, patient)',
  patientErasure: 'when the patient erased their data',
  thread: 'the medical record: ids, statuses, times',
  message: 'the medical record: kept for the legal retention, then deleted by TTL',
  dueWork: 'ids and times',
  communicationRecipient: 'ids and an outcome',
  audit: 'ids, verbs and times only (shared/domain/audit.ts)',
  outboxEvent:
    'the published events: strict schemas of ids (AppointmentBooked is consumed, never written here)',
  counterReconcile: 'ids',
  delegateGrant:
    "a practitioner's grant to an assistant (ids, scopes, the assistant's name in the practice): no patient's data",
  assistantGrant: 'the mirror of a grant: the same, under the assistant',
  connection: 'a WebSocket connection id and its expiry (2 hours at most)',
  practitionerStats: 'counts per day, and per thread the message ids and times the statistics were made from',
  assistantContact: "an assistant's own verified email (ADR 0015): no patient's data",
};

const eraseAll = async (run: ErasureRun) => {
  for (const holder of CONTACT_DATA_HOLDERS) await holder.erase(run);
};

/** The practitioner's route: their record of the patient (404 when they hold none). */
export const erasePatientAsPractitioner = async (
  deps: Deps,
  ports: PersonalDataPorts,
  actor: PractitionerActor,
  patientId: string,
) => {
  const now = deps.clock.now().toISOString();
  const erasedAt = new Map<string, string>();
  const practitionerIds = [actor.practitionerId];
  await eraseAll({ deps, ports, patientId, practitionerIds, wholePatient: false, now, erasedAt });
  const at = erasedAt.get(actor.practitionerId);
  if (!at) throw new NotFound('Patient');
  if (at === now) {
    await deps.outbox.write([
      event(PatientErased, {
        patientId,
        practitionerId: actor.practitionerId,
        requestedBy: 'practitioner',
        erasedAt: now,
      }),
    ]);
  }
  return { patientId, status: 'erased' as const, erasedAt: at };
};

/** The patient's route: everything about them, in every practitioner's base. */
export const erasePatientAsPatient = async (deps: Deps, ports: PersonalDataPorts, actor: PatientActor) => {
  const now = deps.clock.now().toISOString();
  const { patientId } = actor;
  const practitionerIds = await ports.data.practitionersOf(patientId);
  await eraseAll({ deps, ports, patientId, practitionerIds, wholePatient: true, now, erasedAt: new Map() });
  const { erasedAt, first } = await ports.data.markErased(patientId, now);
  if (first) {
    await deps.outbox.write([
      event(PatientErased, { patientId, practitionerId: null, requestedBy: 'patient', erasedAt }),
    ]);
  }
  await recordAudit(deps, { kind: 'patient', patientId }, [
    { action: 'patient.erased', objects: { patientId }, details: { records: practitionerIds.length } },
  ]);
  // Each practitioner's trail shows that their record was erased, and by whom (ids only).
  await Promise.all(
    practitionerIds.map((practitionerId) =>
      recordAudit(deps, { kind: 'practitioner', practitionerId }, [
        { action: 'patient.erased', objects: { practitionerId, patientId } },
      ]),
    ),
  );
  return { status: 'erased' as const, erasedAt };
};
