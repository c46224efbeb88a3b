import { NotFound } from '../domain/errors.ts';
import type { PractitionerSettings } from '../domain/settings.ts';
import type { PatientRecordData } from '../repositories/patient-repository.ts';
import type { Deps, PractitionerActor } from './deps.ts';

export const getSettings = (deps: Deps, actor: PractitionerActor) => deps.settings.get(actor.practitionerId);

export const updateSettings = (
  deps: Deps,
  actor: PractitionerActor,
  changes: Partial<PractitionerSettings>,
) => deps.settings.update(actor.practitionerId, changes, deps.clock.now().toISOString());

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

export const getPatientRecord = async (deps: Deps, actor: PractitionerActor, patientId: string) => {
  const record = await deps.patients.get(actor.practitionerId, patientId);
  if (!record) throw new NotFound('Patient');
  return recordView(record);
};
