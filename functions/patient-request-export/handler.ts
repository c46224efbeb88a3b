import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { requestExport } from '../../shared/use-cases/exports.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId }, deps) => requestExport(deps, { role: 'patient', patientId: callerId }),
  { idempotency: idempotentWrites },
);
