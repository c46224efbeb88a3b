import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A group communication reached its end state, with its counts. */
export const CommunicationFinished = defineEvent(
  'CommunicationFinished',
  z.strictObject({
    communicationId: id,
    practitionerId: id,
    status: z.enum(['done', 'failed']),
    total: z.number().check(z.int(), z.nonnegative()),
    sent: z.number().check(z.int(), z.nonnegative()),
    failed: z.number().check(z.int(), z.nonnegative()),
    /** `ALL_RECIPIENTS_FAILED` or `STALLED` when failed, else null. */
    failureReason: z.nullable(z.enum(['ALL_RECIPIENTS_FAILED', 'STALLED'])),
    finishedAt: timestamp,
  }),
);
