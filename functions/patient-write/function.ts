import { MessageReceived } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientWriteSchema } from '../../shared/http/patient-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'patient-write',
  summary: 'Write in a thread',
  method: 'POST',
  path: '/v1/patient/threads/{threadId}/messages',
  role: 'patient',
  params: threadIdParams,
  body: patientWriteSchema,
  responses: { 201: 'patientMessageCreated' },
  idempotent: true,
  access: {
    table: {
      read: ['attachment', 'patientRecord', 'settings', 'thread'],
      write: [
        'attachment',
        'counterReconcile',
        'message',
        'patientContact',
        'patientCounters',
        'practitionerCounters',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [MessageReceived],
  },
});
