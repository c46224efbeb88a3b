import * as z from 'zod';
import { REPLY_POLICIES } from '../domain/types.ts';
import { THREAD_PAGE_SIZE } from '../domain/views.ts';

/** Ids in paths and bodies: what Cognito subs, ULIDs and agenda ids look like, nothing else. */
export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'Must be 1–128 letters, digits, "-" or "_"');

export const MAX_BODY_CHARS = 5000;

/** A message text: trimmed, then 1–5,000 characters. */
export const messageBodySchema = z.string().trim().min(1, 'Must not be empty').max(MAX_BODY_CHARS);

export const replyPolicySchema = z.enum(REPLY_POLICIES);

export const threadIdParams = z.strictObject({ threadId: idSchema });
export const patientIdParams = z.strictObject({ patientId: idSchema });

export const limitSchema = z.coerce.number().int().min(1).max(100).default(20);
export const cursorSchema = z.string().min(1).max(2048).optional();

/**
 * A thread view's page (both roles): the newest `limit` messages (1–100, 50 by
 * default), oldest first; `cursor` (the previous page's nextCursor) for older ones.
 */
export const threadPageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(THREAD_PAGE_SIZE.max).default(THREAD_PAGE_SIZE.default),
  cursor: cursorSchema,
});
