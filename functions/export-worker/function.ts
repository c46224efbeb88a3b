import { ExportRequested } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'export-worker',
  summary: "Builds a patient's export file (threads, messages, notifications) into the export bucket",
  rule: { name: 'export-requested-build', events: [ExportRequested] },
  access: {
    table: {
      read: ['patientExport', 'thread', 'message', 'patientNotification'],
      write: ['patientExport'],
      indexes: ['gsi4'],
    },
    exportFiles: ['write', 'delete'],
  },
});
