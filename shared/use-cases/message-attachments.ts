/**
 * The attachments of a message being written (SPEC 11.3): read to show them on the
 * message, then taken in the message's own transaction, each on the condition that it
 * is still the caller's, clean and unused (attachment-repository.ts attachItems). Table
 * only: the message-writing functions never bundle the S3 signing.
 */
import { type AttachmentRef, attachmentNotUsable, attachmentRef } from '../domain/attachments.ts';
import type { Message } from '../domain/types.ts';
import type { AttachmentOwner } from '../repositories/attachment-repository.ts';
import type { ExtraTransactItem } from '../repositories/thread-repository.ts';
import type { Deps } from './deps.ts';

/** The refs of the attachments a message asks for, in the asked order; 422 when one cannot be used. */
export const attachableRefs = async (
  deps: Pick<Deps, 'attachments'>,
  owner: AttachmentOwner,
  attachmentIds: readonly string[] | undefined,
): Promise<AttachmentRef[]> => {
  if (!attachmentIds || attachmentIds.length === 0) return [];
  const found = new Map((await deps.attachments.getMany(attachmentIds)).map((a) => [a.id, a]));
  return attachmentIds.map((id, index) => {
    const attachment = found.get(id);
    const usable =
      attachment?.ownerRole === owner.role &&
      attachment.ownerId === owner.id &&
      attachment.status === 'clean' &&
      attachment.messageId === null;
    if (!usable) throw attachmentNotUsable(index);
    return attachmentRef(attachment);
  });
};

/** The conditional updates that give the attachments to `message` (none without attachments). */
export const takeAttachments = (
  deps: Pick<Deps, 'attachments'>,
  owner: AttachmentOwner,
  message: Pick<Message, 'threadId' | 'id' | 'sentAt' | 'attachments'>,
  /** A deferred message's delivery: the attachments it reserved when it was scheduled. */
  reservedFor?: string,
): ExtraTransactItem[] =>
  (message.attachments ?? []).length === 0
    ? []
    : deps.attachments.attachItems(
        owner,
        (message.attachments ?? []).map((a) => a.id),
        { threadId: message.threadId, messageId: message.id, sentAt: message.sentAt },
        reservedFor,
      );
