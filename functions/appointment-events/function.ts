import {
  AppointmentBooked,
  AppointmentCancelled,
  AppointmentCompleted,
  MessageSent,
  ThreadStarted,
} from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'appointment-events',
  summary: "Keeps the agenda's appointments; a completion runs the practitioner's automations",
  rule: {
    name: 'appointment-events',
    events: [AppointmentBooked, AppointmentCancelled, AppointmentCompleted],
  },
  access: {
    table: {
      read: ['appointment', 'automation', 'automationRun', 'patientRecord', 'settings', 'template'],
      write: [
        'appointment',
        'automationRun',
        'counterReconcile',
        'dueWork',
        'message',
        'patientContact',
        'patientCounters',
        'patientRecord',
        'practitionerCounters',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [MessageSent, ThreadStarted],
  },
});
