import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { putPatientRecord } from '../../shared/use-cases/practitioner-admin.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, async ({ callerId, params, body }, deps) => {
  const { record, created } = await putPatientRecord(
    deps,
    { role: 'practitioner', practitionerId: callerId },
    params.patientId,
    body,
  );
  return withStatus(created ? 201 : 200, record);
});
