import { httpRoute } from '../../shared/http/route.ts';
import { s3ExportStore } from '../../shared/runtime/export-store.ts';
import { getExport } from '../../shared/use-cases/exports.ts';
import { declaration } from './function.ts';

const store = s3ExportStore();

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  getExport(deps, store, { role: 'patient', patientId: callerId }, params.exportId),
);
