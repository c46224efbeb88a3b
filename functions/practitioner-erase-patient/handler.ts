import { httpRoute } from '../../shared/http/route.ts';
import { personalDataPorts } from '../../shared/runtime/personal-data-ports.ts';
import { erasePatientAsPractitioner } from '../../shared/use-cases/erasure.ts';
import { declaration } from './function.ts';

const ports = personalDataPorts(declaration);

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  erasePatientAsPractitioner(
    deps,
    ports,
    { role: 'practitioner', practitionerId: callerId },
    params.patientId,
  ),
);
