import { incrementBase32, isValid, monotonicFactory } from 'ulid';
import type { Clock } from './clock.ts';

export interface IdGenerator {
  next(): string;
}

/**
 * ULIDs sort by creation time, so message sort keys are chronological — within
 * one process (the factory is monotonic there). Across Lambda instances with
 * skewed clocks, or a clock set back (the local stack's), a new id could sort
 * before an older one: use `idAfter` where the order is a contract.
 */
export const ulidGenerator = (clock: Clock): IdGenerator => {
  const ulid = monotonicFactory();
  return { next: () => ulid(clock.now().getTime()) };
};

/**
 * A new id that sorts after `previous` (a thread's newest message id): the
 * generator's own when it does, else `previous` + 1 in ULID order. So message
 * ids only grow within a thread, whatever the clocks: "newer than message X"
 * (safe treat, thread pages) means "written after X".
 */
export const idAfter = (ids: IdGenerator, previous: string | null | undefined): string => {
  const id = ids.next();
  if (!previous || id > previous || !isValid(previous)) return id;
  return incrementBase32(previous);
};
