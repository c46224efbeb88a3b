import { MessagesRead } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { responses } from '../../shared/http/response-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'patient-read-thread',
  summary: 'Mark a thread read (the practitioner sees the receipt)',
  method: 'POST',
  path: '/v1/patient/threads/{threadId}/read',
  role: 'patient',
  params: threadIdParams,
  responses: { 200: responses.patientThreadOnly },
  access: {
    table: {
      read: ['patientRecord', 'settings', 'thread'],
      write: ['counterReconcile', 'patientContact', 'patientCounters', 'practitionerCounters', 'thread'],
      appendsAudit: true,
    },
    emits: [MessagesRead],
  },
});
