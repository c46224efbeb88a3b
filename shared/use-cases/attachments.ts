/**
 * Attachments (SPEC 11.3; docs/adr/0016-attachments.md): the upload URL, the checks
 * after the upload, the download URL, and the removal of what no message took.
 * The files port is built only by the attachment functions (shared/runtime/attachment-files.ts).
 */
import { AttachmentRemoved } from '../../events/attachment-removed.ts';
import {
  ATTACHMENT_LIMITS,
  type Attachment,
  type AttachmentContentType,
  type AttachmentOwnerRole,
  attachmentIdOfObjectKey,
  checkContent,
} from '../domain/attachments.ts';
import { addMs } from '../domain/due-work.ts';
import { NotFound } from '../domain/errors.ts';
import type { Thread } from '../domain/types.ts';
import type { AttachmentChecksRepository } from '../repositories/attachment-checks-repository.ts';
import type { AttachmentFiles } from '../runtime/attachment-files.ts';
import { logger } from '../runtime/logger.ts';
import { event } from '../runtime/publisher.ts';
import { recordAudit } from './audit.ts';
import type { Deps } from './deps.ts';

/** What the attachment functions use beyond Deps (shared/runtime/attachment-ports.ts). */
export interface AttachmentPorts {
  files: AttachmentFiles;
  checks: AttachmentChecksRepository;
}

export interface AttachmentActor {
  role: AttachmentOwnerRole;
  id: string;
}

/** POST /v1/<role>/attachments → 201: a pending attachment and its presigned PUT (15 minutes). */
export const createAttachment = async (
  deps: Deps,
  { files, checks }: AttachmentPorts,
  actor: AttachmentActor,
  input: { fileName: string; contentType: AttachmentContentType; size: number },
) => {
  const now = deps.clock.now();
  const createdAt = now.toISOString();
  const attachment: Attachment = {
    id: deps.ids.next(),
    ownerRole: actor.role,
    ownerId: actor.id,
    fileName: input.fileName,
    contentType: input.contentType,
    size: input.size,
    status: 'pending',
    createdAt,
    typeChecked: false,
    malwareScanned: false,
    rejectedReason: null,
    threadId: null,
    messageId: null,
    communicationId: null,
  };
  // The item and its expiry in one transaction: an attachment never outlives its 24 hours unused.
  await checks.create(attachment, [
    deps.dueWork.scheduleTransactItem(
      {
        workId: `attachment-expiry-${attachment.id}`,
        kind: 'attachment-expiry',
        payload: { attachmentId: attachment.id },
        dueAt: addMs(createdAt, ATTACHMENT_LIMITS.unusedMs),
      },
      createdAt,
    ),
  ]);
  const upload = await files.uploadUrl(attachment, ATTACHMENT_LIMITS.uploadSeconds);
  return {
    id: attachment.id,
    uploadUrl: upload.url,
    uploadHeaders: {
      'Content-Type': upload.headers['Content-Type'] ?? '',
      'Content-Length': upload.headers['Content-Length'] ?? '',
    },
    expiresAt: new Date(now.getTime() + ATTACHMENT_LIMITS.uploadSeconds * 1000).toISOString(),
  };
};

/**
 * The message of `thread` that carries `attachment` as `actor` may see it, or null: one of the thread's
 * messages took it; or, for an attachment a group communication shares, the thread is one of that
 * communication's and its first message (what the fan-out wrote) names it. A retracted message takes
 * its attachments away from the patient (its tombstone shows none); the practitioner keeps them.
 */
const carryingMessage = async (
  deps: Deps,
  actor: AttachmentActor,
  thread: Thread,
  attachment: Attachment,
): Promise<string | null> => {
  let messageId = attachment.threadId === thread.id ? attachment.messageId : null;
  const shared = attachment.communicationId !== null && thread.communicationId === attachment.communicationId;
  if (shared) messageId = await deps.threads.firstMessageId(thread.id);
  if (messageId === null) return null;
  if (actor.role === 'practitioner' && !shared) return messageId;
  const message = await deps.threads.getMessage(thread.id, messageId);
  if (!message) return null;
  if (shared && !(message.attachments ?? []).some((a) => a.id === attachment.id)) return null;
  return actor.role === 'patient' && message.retracted ? null : messageId;
};

/**
 * GET /v1/<role>/threads/{threadId}/attachments/{attachmentId}: a presigned GET (5 minutes) for
 * the thread's participants (the practice's inbox assistants act as the practitioner), on an
 * attachment a message of this thread carries (carryingMessage). Anything else is 404. Each link
 * handed out is on the thread's trail.
 */
export const downloadAttachment = async (
  deps: Deps,
  files: AttachmentFiles,
  actor: AttachmentActor,
  threadId: string,
  attachmentId: string,
) => {
  const [thread, attachment] = await Promise.all([
    deps.threads.getThread(threadId),
    deps.attachments.get(attachmentId),
  ]);
  const participant =
    thread !== null &&
    (actor.role === 'practitioner' ? thread.practitionerId : thread.patientId) === actor.id;
  const messageId =
    participant && attachment !== null ? await carryingMessage(deps, actor, thread, attachment) : null;
  if (messageId === null) throw new NotFound('Attachment');
  const now = deps.clock.now();
  await recordAudit(deps, { kind: 'thread', threadId }, [
    {
      action: 'attachment.downloaded',
      objects: { threadId, messageId, attachmentId },
      details: { by: actor.role },
    },
  ]);
  return {
    downloadUrl: await files.downloadUrl(attachmentId, ATTACHMENT_LIMITS.downloadSeconds),
    expiresAt: new Date(now.getTime() + ATTACHMENT_LIMITS.downloadSeconds * 1000).toISOString(),
  };
};

export type CheckOutcome = 'clean' | 'waiting' | 'rejected' | 'ignored';

/**
 * An object was stored (S3 "Object Created"): its size and first bytes against what was declared.
 * A mismatch rejects the attachment (final); a match records the check, and the attachment is
 * clean when every check the stage requires passed (in AWS, GuardDuty's scan as well).
 */
export const checkUploadedObject = async (
  deps: Deps,
  { files, checks }: AttachmentPorts,
  objectKey: string,
  malwareScanRequired: boolean,
): Promise<CheckOutcome> => {
  const attachmentId = attachmentIdOfObjectKey(objectKey);
  const attachment = attachmentId ? await deps.attachments.get(attachmentId) : null;
  if (attachment?.status !== 'pending') return 'ignored';
  const stored = await files.head(attachment.id);
  if (!stored) return 'ignored';
  const verdict = checkContent(attachment, stored);
  if (!verdict.ok) {
    await checks.reject(attachment.id, verdict.reason);
    logger.info('Attachment rejected', { attachmentId: attachment.id, reason: verdict.reason });
    return 'rejected';
  }
  const outcome = await checks.recordPassed(attachment.id, 'typeChecked', malwareScanRequired);
  return outcome === 'not-pending' ? 'ignored' : outcome;
};

/** GuardDuty's scan result (AWS only): no threat records the scan; anything else rejects. */
export const recordMalwareScan = async (
  checks: AttachmentChecksRepository,
  objectKey: string,
  scanResultStatus: string,
): Promise<CheckOutcome> => {
  const attachmentId = attachmentIdOfObjectKey(objectKey);
  if (!attachmentId) return 'ignored';
  if (scanResultStatus !== 'NO_THREATS_FOUND') {
    // THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED, FAILED: not known to be safe, so never clean.
    return (await checks.reject(attachmentId, `malware-scan:${scanResultStatus}`)) ? 'rejected' : 'ignored';
  }
  const outcome = await checks.recordPassed(attachmentId, 'malwareScanned', true);
  return outcome === 'not-pending' ? 'ignored' : outcome;
};

/** The due-work runner: 24 hours after its creation, an attachment no message took is deleted. */
export const expireUnusedAttachment = async (deps: Deps, attachmentId: string, reservedFor?: string) => {
  const deleted = await deps.attachments.deleteUnused(
    attachmentId,
    deps.outbox.items([event(AttachmentRemoved, { attachmentId, reason: 'unused' })]),
    reservedFor,
  );
  return deleted ? 'deleted' : 'in-use';
};

/** AttachmentRemoved: the object goes with its item (a repeat finds nothing and is fine). */
export const removeAttachmentObject = (files: AttachmentFiles, attachmentId: string) =>
  files.remove(attachmentId);
