import * as z from 'zod';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A group communication reached its end state, with its counts. */
export const CommunicationFinished = defineEvent(
  'CommunicationFinished',
  z.strictObject({
    communicationId: id,
    practitionerId: id,
    status: z.enum(['done', 'failed']),
    total: z.number().int().nonnegative(),
    sent: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    /** `ALL_RECIPIENTS_FAILED` or `STALLED` when failed, else null. */
    failureReason: z.enum(['ALL_RECIPIENTS_FAILED', 'STALLED']).nullable(),
    finishedAt: timestamp,
  }),
);
