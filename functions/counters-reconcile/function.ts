import { scheduledFunction } from '../../shared/function-model/declaration.ts';

export const declaration = scheduledFunction({
  name: 'counters-reconcile',
  summary: 'Recomputes the sidebar counters a change found drifted, from the thread indexes (never a Scan)',
  schedule: { name: 'counters-reconcile', everyMinutes: 5 },
  access: {
    table: {
      read: ['counterReconcile', 'patientCounters', 'practitionerCounters', 'thread'],
      write: ['counterReconcile', 'patientCounters', 'practitionerCounters'],
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
    },
  },
});
