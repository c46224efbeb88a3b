import type { FunctionDeclaration } from '../function-model/declaration.ts';
import type { Clock } from './clock.ts';

/** The AWS services a function's SDK clients talk to (shared/runtime/function-deps.ts). */
export type AwsService = 'dynamodb' | 'events' | 'ses' | 's3' | 'execute-api';

/** Any SDK v3 client: what a decorator needs of it. */
export interface DecoratableClient {
  middlewareStack: {
    add(
      // biome-ignore lint/suspicious/noExplicitAny: every client's stack has its own input/output types
      middleware: any,
      options: { step: 'initialize'; priority: 'low'; name: string; override: boolean },
    ): void;
  };
}

/**
 * What the local stack (local/stack.ts) substitutes for AWS before it loads the
 * handlers: the local clock (SPEC 11.1) and the IAM enforcement on each
 * function's SDK clients (local/iam-enforcement.ts). A deployed Lambda never
 * calls `emulateLocally`, so there the composition root uses the system clock
 * and plain clients.
 */
export interface LocalEmulation {
  /** GET/POST /local/clock: handlers, sweeps and schedules read this instead of the system clock. */
  clock?: Clock;
  /** Called on every SDK client a function builds, with the function's declaration. */
  decorateClient?: (service: AwsService, client: DecoratableClient, declaration: FunctionDeclaration) => void;
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
