import { ThreadTreated } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { responses } from '../../shared/http/response-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-treat-thread',
  summary: 'Mark a thread treated (closes it)',
  method: 'POST',
  path: '/v1/practitioner/threads/{threadId}/treat',
  role: 'practitioner',
  params: threadIdParams,
  responses: { 200: responses.practitionerThreadOnly },
  access: {
    table: {
      read: ['thread'],
      write: ['dueWork', 'patientCounters', 'patientRecord', 'practitionerCounters', 'thread'],
      appendsAudit: true,
    },
    publishes: [ThreadTreated],
  },
});
