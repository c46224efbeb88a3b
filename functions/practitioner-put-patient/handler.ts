import { patientRecordSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';
import { putPatientRecord } from '../../shared/use-cases/practitioner-admin.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: patientIdParams, body: patientRecordSchema, audit: 'patient.saved' },
  async ({ callerId, params, body }, deps) => {
    const { record, created } = await putPatientRecord(
      deps,
      { role: 'practitioner', practitionerId: callerId },
      params.patientId,
      body,
    );
    return withStatus(created ? 201 : 200, record);
  },
);
