import { MessageReceived, ThreadStarted } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { startRequestSchema } from '../../shared/http/patient-schemas.ts';

export const declaration = httpFunction({
  name: 'patient-start-thread',
  summary: 'Start a request with a practitioner',
  method: 'POST',
  path: '/v1/patient/threads',
  role: 'patient',
  body: startRequestSchema,
  responses: { 201: 'patientMessageCreated' },
  idempotent: true,
  limitedBy: ['openRequestsPerPatientPerPractitioner', 'patientRequestsPerDay'],
  access: {
    table: {
      read: ['attachment', 'patientRecord', 'settings'],
      write: [
        'attachment',
        'counterReconcile',
        'message',
        'patientContact',
        'patientCounters',
        'patientQuota',
        'practitionerCounters',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [MessageReceived, ThreadStarted],
  },
});
