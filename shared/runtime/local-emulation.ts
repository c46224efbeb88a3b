import type { Clock } from './clock.ts';

/**
 * What the local stack (local/stack.ts) substitutes for AWS before it loads the
 * handlers: the local clock (SPEC 11.1) and, later, the local IAM enforcement on
 * the SDK clients. A deployed Lambda never calls `emulateLocally`, so there the
 * composition root uses the system clock and plain clients.
 */
export interface LocalEmulation {
  /** GET/POST /local/clock: handlers, sweeps and schedules read this instead of the system clock. */
  clock?: Clock;
}

let current: LocalEmulation = {};

export const emulateLocally = (emulation: LocalEmulation): void => {
  current = { ...current, ...emulation };
};

/** Back to plain AWS behaviour (tests of the stack itself). */
export const stopLocalEmulation = (): void => {
  current = {};
};

export const localEmulation = (): Readonly<LocalEmulation> => current;
