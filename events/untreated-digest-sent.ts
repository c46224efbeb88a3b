import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A practitioner notification email about untreated messages went out (SES
 * accepted it). Counts and ids only: never who wrote or what.
 */
export const UntreatedDigestSent = defineEvent(
  'UntreatedDigestSent',
  z.strictObject({
    practitionerId: id,
    /** The claim id of this email (also on the notification slot item). */
    notificationId: id,
    /** `threshold`: the weekly-capped digest; `every_message`: the 15-minute summary. */
    mode: z.enum(['threshold', 'every_message']),
    /** What sent it: a patient message (event-driven) or the scheduled sweep. */
    trigger: z.enum(['message', 'sweep']),
    untreatedMessages: z.number().check(z.int(), z.nonnegative()),
    sentAt: timestamp,
  }),
);
