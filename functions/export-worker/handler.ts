import { ExportRequested } from '../../events/export-requested.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { personalDataPorts } from '../../shared/runtime/personal-data-ports.ts';
import { buildExport } from '../../shared/use-cases/exports.ts';
import { declaration } from './function.ts';

const ports = personalDataPorts(declaration);

/** ExportRequested → the file in the export bucket, the export `ready` (idempotent: a redelivery changes nothing). */
export const handler = eventConsumer(declaration, [
  on(ExportRequested, (data, _event, deps) => buildExport(deps, ports, data)),
]);
