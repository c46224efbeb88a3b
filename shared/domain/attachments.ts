/**
 * Attachments (SPEC 11.3, docs/adr/0016-attachments.md): documents and photos
 * carried by messages. Bytes never pass through the API: the client uploads to a
 * presigned PUT bound to the declared type and length, a checker compares the
 * stored bytes with the declaration (and, in AWS, waits for GuardDuty's malware
 * scan), and only a `clean` attachment of the caller's own, never used before,
 * can join a message.
 */
import { ValidationError } from './errors.ts';

export const ATTACHMENT_CONTENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type AttachmentContentType = (typeof ATTACHMENT_CONTENT_TYPES)[number];

export const ATTACHMENT_LIMITS = {
  /** 10 MB, the largest file an upload URL is signed for. */
  maxBytes: 10 * 1024 * 1024,
  /** Attachments one message may carry. */
  perMessage: 5,
  fileNameChars: 200,
  /** Lifetime of the presigned PUT. */
  uploadSeconds: 15 * 60,
  /** Lifetime of the presigned GET. */
  downloadSeconds: 5 * 60,
  /** An attachment no message took is deleted (item and object) this long after its creation. */
  unusedMs: 24 * 60 * 60_000,
} as const;

export type AttachmentStatus = 'pending' | 'clean' | 'rejected';
export type AttachmentOwnerRole = 'practitioner' | 'patient';

/** What a message shows of an attachment (both views): never the object key. */
export interface AttachmentRef {
  id: string;
  fileName: string;
  contentType: AttachmentContentType;
  size: number;
}

export interface Attachment extends AttachmentRef {
  ownerRole: AttachmentOwnerRole;
  ownerId: string;
  status: AttachmentStatus;
  createdAt: string;
  /** The type/size check passed (the checker); in AWS `clean` also needs `malwareScan`. */
  typeChecked: boolean;
  /** GuardDuty reported no threat (AWS only). */
  malwareScanned: boolean;
  rejectedReason: string | null;
  /** The message that carries it, once attached (then it is never deleted as unused). */
  threadId: string | null;
  messageId: string | null;
  /**
   * The group communication that took it (docs/adr/0016-attachments.md, "Group communications"):
   * shared by the first message of every recipient's thread, so `threadId` stays null and
   * `messageId` holds the communication's marker (`COMM#<id>`) that keeps every other message off it.
   */
  communicationId: string | null;
}

/** The object's key: the attachment id only — no file name, no patient, nothing about health. */
export const ATTACHMENT_OBJECT_PREFIX = 'attachments/';
export const attachmentObjectKey = (attachmentId: string): string =>
  `${ATTACHMENT_OBJECT_PREFIX}${attachmentId}`;
export const attachmentIdOfObjectKey = (key: string): string | null => {
  if (!key.startsWith(ATTACHMENT_OBJECT_PREFIX)) return null;
  const id = key.slice(ATTACHMENT_OBJECT_PREFIX.length);
  return /^[0-9A-Za-z]{10,40}$/.test(id) ? id : null;
};

/** The first bytes of each allowed type (its "magic"): a renamed executable starts with `MZ`, not these. */
const MAGIC_BYTES: Readonly<Record<AttachmentContentType, readonly number[]>> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

/** How many bytes the checker reads from the start of an object. */
export const MAGIC_BYTES_READ = 16;

export type ContentVerdict =
  | { ok: true }
  | { ok: false; reason: 'size-mismatch' | 'type-mismatch' | 'too-large' };

/** The stored bytes against the declaration: same size, at most the limit, and the declared type's magic bytes. */
export const checkContent = (
  declared: Pick<AttachmentRef, 'contentType' | 'size'>,
  stored: { size: number; head: Uint8Array },
): ContentVerdict => {
  if (stored.size > ATTACHMENT_LIMITS.maxBytes) return { ok: false, reason: 'too-large' };
  if (stored.size !== declared.size) return { ok: false, reason: 'size-mismatch' };
  const magic = MAGIC_BYTES[declared.contentType];
  const matches = magic.every((byte, i) => stored.head[i] === byte);
  return matches ? { ok: true } : { ok: false, reason: 'type-mismatch' };
};

export const attachmentRef = (a: AttachmentRef): AttachmentRef => ({
  id: a.id,
  fileName: a.fileName,
  contentType: a.contentType,
  size: a.size,
});

/** One answer whatever the reason (someone else's attachment is not revealed). */
export const attachmentNotUsable = (index: number) =>
  new ValidationError('An attachment cannot be used', [
    {
      path: ['attachmentIds', String(index)],
      message: 'Not one of your clean attachments, or already sent in a message',
    },
  ]);

export const patientAttachmentsRefused = () =>
  new ValidationError('This practitioner does not accept attachments from patients', [
    {
      path: ['attachmentIds'],
      message: 'Attachments are not enabled by this practitioner (patientAttachments)',
    },
  ]);
