/**
 * The patient's export of their data (SPEC 11.6; docs/adr/0013-gdpr-export-erasure.md):
 * requested over HTTP (a pending item and its ExportRequested event, one
 * transaction), built by the `export-worker` function from the event (the
 * patient's threads through their own index, gsi4, and each thread's pages; the
 * emails sent to them), stored encrypted in the export bucket, handed out as a
 * presigned link of 15 minutes, deleted after 7 days.
 */
import { ExportRequested } from '../../events/export-requested.ts';
import type { AttachmentRef } from '../domain/attachments.ts';
import { NotFound } from '../domain/errors.ts';
import { EXPORT_DOWNLOAD_SECONDS } from '../domain/retention.ts';
import type { Message, Thread } from '../domain/types.ts';
import { patientMessageView } from '../domain/views.ts';
import { exportObjectKey, type PersonalDataRepository } from '../repositories/personal-data-repository.ts';
import { event } from '../runtime/publisher.ts';
import { recordAudit } from './audit.ts';
import type { Deps, PatientActor } from './deps.ts';

/** Where export files live (S3 in AWS, the local S3-compatible server locally): shared/runtime/export-store.ts. */
export interface ExportStore {
  put(key: string, body: string): Promise<void>;
  /** A GET link valid `seconds`. */
  downloadUrl(key: string, seconds: number): Promise<string>;
  remove(keys: readonly string[]): Promise<void>;
}

/**
 * What the export and erasure functions use beyond Deps, built by them only
 * (shared/runtime/personal-data-ports.ts): the other functions never bundle it.
 * `store` is null where the declaration grants no export files.
 */
export interface PersonalDataPorts {
  data: PersonalDataRepository;
  store: ExportStore | null;
}

const storeOf = (ports: PersonalDataPorts): ExportStore => {
  if (!ports.store) throw new Error('This function has no access to export files (access.exportFiles)');
  return ports.store;
};

/** An attachment in the export: its message, what it is, and where the patient downloads it. */
interface AttachmentLink extends AttachmentRef {
  threadId: string;
  messageId: string;
  url: string;
}

/** The export file's format version (a field of the file). */
export const EXPORT_FORMAT_VERSION = 1;

/** POST /v1/patient/exports → 202 `{id, status}`. */
export const requestExport = async (deps: Deps, ports: PersonalDataPorts, actor: PatientActor) => {
  const now = deps.clock.now().toISOString();
  const exportId = deps.ids.next();
  await ports.data.create(
    actor.patientId,
    exportId,
    now,
    deps.outbox.items([event(ExportRequested, { patientId: actor.patientId, exportId, requestedAt: now })]),
  );
  await recordAudit(deps, { kind: 'patient', patientId: actor.patientId }, [
    { action: 'export.requested', objects: { patientId: actor.patientId, exportId } },
  ]);
  return { id: exportId, status: 'pending' as const };
};

/**
 * GET /v1/patient/exports/{exportId}: `{status}` while it is built; once ready, a
 * fresh link valid 15 minutes and when it expires (a download: audited as
 * `patient.exported`). Someone else's export, or one deleted (7 days, an
 * erasure), is 404.
 */
export const getExport = async (
  deps: Deps,
  ports: PersonalDataPorts,
  actor: PatientActor,
  exportId: string,
) => {
  const found = await ports.data.get(actor.patientId, exportId);
  if (!found) throw new NotFound('Export');
  if (found.status !== 'ready' || !found.objectKey) return { status: found.status };
  const now = deps.clock.now();
  const downloadUrl = await storeOf(ports).downloadUrl(found.objectKey, EXPORT_DOWNLOAD_SECONDS);
  await recordAudit(deps, { kind: 'patient', patientId: actor.patientId }, [
    { action: 'patient.exported', objects: { patientId: actor.patientId, exportId } },
  ]);
  return {
    status: found.status,
    downloadUrl,
    expiresAt: new Date(now.getTime() + EXPORT_DOWNLOAD_SECONDS * 1000).toISOString(),
  };
};

/** Pages of a thread read per export: far above any real thread (the bounded-items rule caps messages). */
const MAX_PAGES_PER_THREAD = 1_000;

/** Every thread of the patient (their index, gsi4) with all its messages, oldest first, as stored. */
export const patientThreadsWithMessages = async (deps: Pick<Deps, 'threads'>, patientId: string) => {
  const threads: Array<{ thread: Thread; messages: Message[] }> = [];
  let cursor: string | undefined;
  do {
    const page = await deps.threads.listPatientThreads(patientId, { limit: 100, ...(cursor && { cursor }) });
    for (const entry of page.items) {
      const messages = [];
      let messageCursor: string | undefined;
      let thread = null;
      for (let n = 0; n < MAX_PAGES_PER_THREAD; n++) {
        const threadPage = await deps.threads.getThreadPage(entry.id, {
          limit: 100,
          ...(messageCursor && { cursor: messageCursor }),
        });
        if (!threadPage) break;
        thread = threadPage.thread;
        messages.unshift(...threadPage.messages);
        messageCursor = threadPage.nextCursor ?? undefined;
        if (!messageCursor) break;
      }
      if (thread) threads.push({ thread, messages });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return threads;
};

/** The file: every thread of the patient with its messages (as the patient sees them), the emails sent to them. */
export const buildExportDocument = async (
  deps: Deps,
  ports: PersonalDataPorts,
  patientId: string,
  exportId: string,
) => {
  const threads = [];
  const attachments: AttachmentLink[] = [];
  for (const { thread, messages: stored } of await patientThreadsWithMessages(deps, patientId)) {
    const messages = stored.map(patientMessageView);
    for (const message of messages) {
      for (const attachment of message.retracted ? [] : message.attachments) {
        attachments.push({
          threadId: thread.id,
          messageId: message.id,
          ...attachment,
          // The API route that hands out a fresh 5-minute link (audited): a presigned URL in a file kept
          // 7 days would outlive the credentials that signed it.
          url: `/v1/patient/threads/${thread.id}/attachments/${attachment.id}`,
        });
      }
    }
    threads.push({
      id: thread.id,
      practitionerId: thread.practitionerId,
      origin: thread.origin,
      status: thread.status,
      appointmentId: thread.appointmentId,
      createdAt: thread.createdAt,
      lastMessageAt: thread.lastMessageAt,
      treatedAt: thread.treatedAt,
      messages,
    });
  }
  const notifications = await ports.data.notificationsOf(patientId);
  return {
    formatVersion: EXPORT_FORMAT_VERSION,
    exportId,
    patientId,
    generatedAt: deps.clock.now().toISOString(),
    threads,
    notifications,
    /** The documents of the patient's messages (SPEC 11.3), each with the route that downloads it. */
    attachments,
  };
};

/**
 * ExportRequested → the file in the bucket, then the item `ready`. A redelivery
 * of a built export changes nothing; one whose item is gone (erased, expired)
 * leaves no file behind.
 */
export const buildExport = async (
  deps: Deps,
  ports: PersonalDataPorts,
  request: { patientId: string; exportId: string },
) => {
  const store = storeOf(ports);
  const found = await ports.data.get(request.patientId, request.exportId);
  if (!found || found.status === 'ready') return { built: false };
  const document = await buildExportDocument(deps, ports, request.patientId, request.exportId);
  const key = exportObjectKey(request.patientId, request.exportId);
  await store.put(key, JSON.stringify(document));
  const ready = await ports.data.markReady(
    request.patientId,
    request.exportId,
    key,
    deps.clock.now().toISOString(),
  );
  if (!ready) {
    // Erased (or expired) while it was being built: the file must not outlive its item.
    await store.remove([key]);
    return { built: false };
  }
  return { built: true, threads: document.threads.length };
};
