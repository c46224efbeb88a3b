import { httpFunction } from '../../shared/function-model/declaration.ts';
import { automationIdParams } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-delete-automation',
  summary: 'Delete an automation',
  method: 'DELETE',
  path: '/v1/practitioner/automations/{automationId}',
  role: 'practitioner',
  scope: 'settings',
  params: automationIdParams,
  responses: { 204: null },
  auditAs: 'automation.deleted',
  access: {
    table: {
      read: ['automation', 'delegateGrant'],
      write: ['automation', 'practitionerQuota', 'template'],
      appendsAudit: true,
    },
  },
});
