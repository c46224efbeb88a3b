import { NotFound } from '../domain/errors.ts';
import type { SettingsPatch } from '../domain/settings.ts';
import type { PatientRecordData } from '../repositories/patient-repository.ts';
import { recordAudit } from './audit.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { onNotificationSettingsChanged } from './notifications.ts';
import { effectiveSettings, splitControls, updateMessagingControls } from './practitioner-controls.ts';

export const getSettings = async (deps: Deps, actor: PractitionerActor) =>
  effectiveSettings(await deps.settings.get(actor.practitionerId), deps.clock.now());

export const updateSettings = async (deps: Deps, actor: PractitionerActor, patch: SettingsPatch) => {
  // Control fields (close/reopen, who may start, cooldown, time zone) go through their own
  // versioned write with its events (practitioner-controls.ts); the rest as before.
  const { controls, rest: changes } = splitControls(patch);
  let settings =
    Object.keys(controls).length > 0 ? await updateMessagingControls(deps, actor, controls) : null;
  if (Object.keys(changes).length > 0) {
    settings = await deps.settings.update(actor.practitionerId, changes, deps.clock.now().toISOString());
  }
  await onNotificationSettingsChanged(deps, actor.practitionerId, changes.notifications);
  return effectiveSettings(settings ?? (await deps.settings.get(actor.practitionerId)), deps.clock.now());
};

const recordView = ({
  practitionerId: _p,
  ...record
}: Awaited<ReturnType<Deps['patients']['get']>> & object) => record;

export const putPatientRecord = async (
  deps: Deps,
  actor: PractitionerActor,
  patientId: string,
  data: PatientRecordData,
) => {
  const { record, created } = await deps.patients.upsert(
    actor.practitionerId,
    patientId,
    data,
    deps.clock.now().toISOString(),
  );
  return { record: recordView(record), created };
};

/**
 * A patient record holds health attributes, so its read is audited (`patient.viewed`, on the practitioner's
 * trail): one Put after the Get, only for a record that exists, and if it cannot be written nothing is shown.
 */
export const getPatientRecord = async (deps: Deps, actor: PractitionerActor, patientId: string) => {
  const record = await deps.patients.get(actor.practitionerId, patientId);
  if (!record) throw new NotFound('Patient');
  await recordAudit(deps, { kind: 'practitioner', practitionerId: actor.practitionerId }, [
    { action: 'patient.viewed', objects: { practitionerId: actor.practitionerId, patientId } },
  ]);
  return recordView(record);
};
