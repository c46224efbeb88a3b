import { monotonicFactory } from 'ulid';
import type { Clock } from './clock.ts';

export interface IdGenerator {
  next(): string;
}

/** ULIDs sort by creation time, so message sort keys are chronological. */
export const ulidGenerator = (clock: Clock): IdGenerator => {
  const ulid = monotonicFactory();
  return { next: () => ulid(clock.now().getTime()) };
};
