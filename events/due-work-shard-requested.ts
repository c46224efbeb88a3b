import * as z from '../shared/validation.ts';
import { timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A shard of the due-work queue has more due than the tick runs itself: a
 * `due-work-worker` drains it (`seq` 0 from the tick, then each worker hands the
 * rest on with `seq + 1`). `tickAt` is when the tick started the chain: a chain
 * hands on only within one tick interval (shared/domain/due-work.ts).
 */
export const DueWorkShardRequested = defineEvent(
  'DueWorkShardRequested',
  z.strictObject({
    // Any shard number, not only those below today's count: a request sent before a deploy changed it still drains.
    shard: z.number().check(z.int(), z.nonnegative(), z.lte(9999)),
    seq: z.number().check(z.int(), z.nonnegative()),
    tickAt: timestamp,
    requestedAt: timestamp,
  }),
);
