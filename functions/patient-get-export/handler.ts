import { httpRoute } from '../../shared/http/route.ts';
import { personalDataPorts } from '../../shared/runtime/personal-data-ports.ts';
import { getExport } from '../../shared/use-cases/exports.ts';
import { declaration } from './function.ts';

const ports = personalDataPorts(declaration);

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  getExport(deps, ports, { role: 'patient', patientId: callerId }, params.exportId),
);
