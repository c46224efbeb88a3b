import { createHash } from 'node:crypto';
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

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID-shaped id DERIVED from its parts: the time part (10 characters) of
 * `timeOf` (a ULID), then 80 bits of SHA-256 of the parts. The same parts always
 * give the same id, so the item keyed by it is its own exactly-once marker (a
 * group communication's thread for one patient: a re-run meets the thread it
 * already wrote); it still sorts by the time of `timeOf`.
 */
export const derivedId = (timeOf: string, ...parts: string[]): string => {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let random = '';
  for (let i = 0; i < 16; i++) {
    // 16 × 5 bits from the first 10 bytes.
    const bit = i * 5;
    const byte = bit >> 3;
    const word = ((digest[byte] ?? 0) << 8) | (digest[byte + 1] ?? 0);
    random += CROCKFORD[(word >> (11 - (bit & 7))) & 31];
  }
  return `${timeOf.slice(0, 10).toUpperCase()}${random}`;
};
