import { httpRoute } from '../../shared/http/route.ts';
import { s3ExportStore } from '../../shared/runtime/export-store.ts';
import { erasePatientAsPatient } from '../../shared/use-cases/erasure.ts';
import { declaration } from './function.ts';

const store = s3ExportStore();

export const handler = httpRoute(declaration, ({ callerId }, deps) =>
  erasePatientAsPatient(deps, store, { role: 'patient', patientId: callerId }),
);
