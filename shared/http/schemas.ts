import { REPLY_POLICIES } from '../domain/types.ts';
import { THREAD_PAGE_SIZE } from '../domain/views.ts';
import * as z from '../validation.ts';

/** Ids in paths and bodies: what Cognito subs, ULIDs and agenda ids look like, nothing else. */
export const idSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'Must be 1–128 letters, digits, "-" or "_"'));

export const MAX_BODY_CHARS = 5000;

/** A message text: trimmed, then 1–5,000 characters. */
export const messageBodySchema = z
  .string()
  .check(z.trim(), z.minLength(1, 'Must not be empty'), z.maxLength(MAX_BODY_CHARS));

/**
 * The attachments a message carries (SPEC 11.3): 1–5 distinct ids of the caller's own clean
 * attachments, not used before (the message's transaction checks that).
 */
export const attachmentIdsSchema = z.optional(
  z.array(idSchema).check(
    z.minLength(1),
    z.maxLength(5),
    z.refine((ids) => new Set(ids).size === ids.length, 'Each attachment at most once'),
  ),
);

export const replyPolicySchema = z.enum(REPLY_POLICIES);

export const threadIdParams = z.strictObject({ threadId: idSchema });
export const patientIdParams = z.strictObject({ patientId: idSchema });
export const exportIdParams = z.strictObject({ exportId: idSchema });
export const threadAttachmentParams = z.strictObject({ threadId: idSchema, attachmentId: idSchema });

export const limitSchema = z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20);
export const cursorSchema = z.optional(z.string().check(z.minLength(1), z.maxLength(2048)));

/**
 * A thread view's page (both roles): the newest `limit` messages (1–100, 50 by
 * default), oldest first; `cursor` (the previous page's nextCursor) for older ones.
 */
export const threadPageQuerySchema = z.strictObject({
  limit: z._default(
    z.coerce.number().check(z.int(), z.gte(1), z.lte(THREAD_PAGE_SIZE.max)),
    THREAD_PAGE_SIZE.default,
  ),
  cursor: cursorSchema,
});
