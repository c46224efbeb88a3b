import { httpRoute } from '../../shared/http/route.ts';
import { setPatientFlag } from '../../shared/use-cases/practitioner-controls.ts';
import { declaration } from './function.ts';

/** PUT /v1/practitioner/patients/{patientId}/allow — idempotent; answers the record. */
export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  setPatientFlag(deps, { role: 'practitioner', practitionerId: callerId }, params.patientId, 'allowed', true),
);
