/**
 * Reading the practitioner controls for a patient and applying the ONE rule
 * module (shared/domain/messaging-rules.ts). The writes (patient-messaging.ts),
 * the "can I write?" answer and the patient thread views all go through here.
 */
import {
  type Refusal,
  refusalError,
  startRequestRefusal,
  writeInThreadRefusal,
} from '../domain/messaging-rules.ts';
import type { PatientThreadListEntry } from '../domain/thread-lists.ts';
import type { ReplyState } from '../domain/thread-rules.ts';
import { EMERGENCY_NOTICE } from '../domain/views.ts';
import type { ControlsSnapshot } from '../repositories/controls-repository.ts';
import type { ExtraTransactItem } from '../repositories/thread-repository.ts';
import type { Deps, PatientActor } from './deps.ts';

export type { ControlsSnapshot };

/** The practitioner's settings and the patient's record, in one strongly consistent BatchGetItem. */
export const readControls = (deps: Pick<Deps, 'controls'>, practitionerId: string, patientId: string) =>
  deps.controls.read(practitionerId, patientId);

/**
 * ConditionChecks that put the decision into the write's transaction: the
 * record and the settings are still at the versions the rules read.
 */
export const controlsGuards = (
  deps: Pick<Deps, 'controls'>,
  snapshot: ControlsSnapshot,
): ExtraTransactItem[] => deps.controls.versionGuards(snapshot);

/** Throws the refusal (code + French text) when the patient may not start a request now. */
export const assertMayStartRequest = (snapshot: ControlsSnapshot, now: Date): void => {
  const refusal = startRequestRefusal(snapshot.settings, snapshot.standing, now);
  if (refusal) throw refusalError(refusal);
};

export const threadRefusal = (snapshot: ControlsSnapshot, thread: ReplyState, now: Date): Refusal | null =>
  writeInThreadRefusal(snapshot.settings, snapshot.standing, thread, now);

/** canReply for a page of the patient's threads: the controls of every practitioner in one BatchGetItem. */
export const threadRefusals = async (
  deps: Pick<Deps, 'controls' | 'clock'>,
  patientId: string,
  threads: readonly PatientThreadListEntry[],
): Promise<Map<string, Refusal | null>> => {
  if (threads.length === 0) return new Map();
  const controls = await deps.controls.readMany(
    patientId,
    threads.map((t) => t.practitionerId),
  );
  const now = deps.clock.now();
  return new Map(
    threads.map((thread) => {
      const snapshot = controls.get(thread.practitionerId);
      if (!snapshot) throw new Error('Missing controls for a listed thread');
      return [thread.id, threadRefusal(snapshot, thread, now)];
    }),
  );
};

/**
 * GET /v1/patient/practitioners/{practitionerId}/messaging: may I start a
 * request, and if not why (the code a POST would get) and what to show. The
 * same rules in the same order as the write; an unknown practitioner is simply
 * one whose base the patient is not in.
 */
export const getMessagingAccess = async (deps: Deps, actor: PatientActor, practitionerId: string) => {
  const snapshot = await readControls(deps, practitionerId, actor.patientId);
  const refusal = startRequestRefusal(snapshot.settings, snapshot.standing, deps.clock.now());
  return {
    practitionerId,
    canStartRequest: refusal === null,
    reason: refusal?.code ?? null,
    message: refusal?.message ?? null,
    details: refusal?.details ?? null,
    notice: EMERGENCY_NOTICE,
  };
};
