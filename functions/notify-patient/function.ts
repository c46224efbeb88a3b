import { MessageSent, PatientNotified } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'notify-patient',
  summary: 'Emails the patient about a practitioner message at their verified address (once, never its text)',
  rule: { name: 'message-sent-notify-patient', events: [MessageSent] },
  access: {
    table: {
      read: ['message', 'patientContact', 'patientNotification'],
      write: ['patientNotification'],
      appendsAudit: true,
    },
    emits: [PatientNotified],
    sendsEmail: true,
  },
});
