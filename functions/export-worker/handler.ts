import { ExportRequested } from '../../events/export-requested.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { s3ExportStore } from '../../shared/runtime/export-store.ts';
import { buildExport } from '../../shared/use-cases/exports.ts';
import { declaration } from './function.ts';

const store = s3ExportStore();

/** ExportRequested → the file in the export bucket, the export `ready` (idempotent: a redelivery changes nothing). */
export const handler = eventConsumer(declaration, [
  on(ExportRequested, (data, _event, deps) => buildExport(deps, store, data)),
]);
