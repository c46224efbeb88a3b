import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { personalDataPorts } from '../../shared/runtime/personal-data-ports.ts';
import { requestExport } from '../../shared/use-cases/exports.ts';
import { declaration } from './function.ts';

const ports = personalDataPorts(declaration);

export const handler = httpRoute(
  declaration,
  ({ callerId }, deps) => requestExport(deps, ports, { role: 'patient', patientId: callerId }),
  { idempotency: idempotentWrites },
);
