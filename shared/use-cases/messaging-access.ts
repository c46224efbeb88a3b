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
import type { PractitionerSettings } from '../domain/settings.ts';
import type { Thread } from '../domain/types.ts';
import { EMERGENCY_NOTICE } from '../domain/views.ts';
import type { PatientStandingSnapshot } from '../repositories/patient-repository.ts';
import type { ExtraTransactItem } from '../repositories/thread-repository.ts';
import type { Deps, PatientActor } from './deps.ts';

/** What a decision was made on, with the versions the write is then conditioned on. */
export interface ControlsSnapshot {
  practitionerId: string;
  patientId: string;
  settings: PractitionerSettings;
  settingsVersion: number | null;
  standing: PatientStandingSnapshot;
}

/** Two strongly consistent GetItems in parallel: the practitioner's settings and the patient's record. */
export const readControls = async (
  deps: Pick<Deps, 'settings' | 'patients'>,
  practitionerId: string,
  patientId: string,
): Promise<ControlsSnapshot> => {
  const [{ settings, version }, standing] = await Promise.all([
    deps.settings.getVersioned(practitionerId),
    deps.patients.getStanding(practitionerId, patientId),
  ]);
  return { practitionerId, patientId, settings, settingsVersion: version, standing };
};

/**
 * ConditionChecks that put the decision into the write's transaction: the
 * record and the settings are still at the versions the rules read. A block,
 * a closing or a treated stamp committed in between fails the transaction, and
 * the retry re-reads and re-decides (so the write is refused, and nothing changed).
 */
export const controlsGuards = (
  deps: Pick<Deps, 'settings' | 'patients'>,
  snapshot: ControlsSnapshot,
): ExtraTransactItem[] => [
  deps.patients.guardItem(snapshot.practitionerId, snapshot.patientId, snapshot.standing.version),
  deps.settings.guardItem(snapshot.practitionerId, snapshot.settingsVersion),
];

/** Throws the refusal (code + French text) when the patient may not start a request now. */
export const assertMayStartRequest = (snapshot: ControlsSnapshot, now: Date): void => {
  const refusal = startRequestRefusal(snapshot.settings, snapshot.standing, now);
  if (refusal) throw refusalError(refusal);
};

/** Throws the refusal when the patient may not write in this thread now. */
export const assertMayWriteInThread = (snapshot: ControlsSnapshot, thread: Thread, now: Date): void => {
  const refusal = writeInThreadRefusal(snapshot.settings, snapshot.standing, thread, now);
  if (refusal) throw refusalError(refusal);
};

export const threadRefusal = (snapshot: ControlsSnapshot, thread: Thread, now: Date): Refusal | null =>
  writeInThreadRefusal(snapshot.settings, snapshot.standing, thread, now);

/**
 * canReply for a page of the patient's threads: one BatchGetItem of the
 * distinct practitioners' settings and one of the patient's records with them.
 */
export const threadRefusals = async (
  deps: Pick<Deps, 'settings' | 'patients' | 'clock'>,
  patientId: string,
  threads: readonly Thread[],
): Promise<Map<string, Refusal | null>> => {
  if (threads.length === 0) return new Map();
  const practitionerIds = threads.map((t) => t.practitionerId);
  const [settings, standings] = await Promise.all([
    deps.settings.getMany(practitionerIds),
    deps.patients.getStandings(patientId, practitionerIds),
  ]);
  const now = deps.clock.now();
  return new Map(
    threads.map((thread) => {
      const controls = settings.get(thread.practitionerId);
      const standing = standings.get(thread.practitionerId);
      if (!controls || !standing) throw new Error('Missing controls for a listed thread');
      return [thread.id, writeInThreadRefusal(controls, standing, thread, now)];
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
