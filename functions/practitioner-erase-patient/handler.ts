import { httpRoute } from '../../shared/http/route.ts';
import { erasePatientAsPractitioner } from '../../shared/use-cases/erasure.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  erasePatientAsPractitioner(
    deps,
    null,
    { role: 'practitioner', practitionerId: callerId },
    params.patientId,
  ),
);
