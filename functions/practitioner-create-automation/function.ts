import { httpFunction } from '../../shared/function-model/declaration.ts';
import { automationSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-create-automation',
  summary: 'Create an automation',
  method: 'POST',
  path: '/v1/practitioner/automations',
  role: 'practitioner',
  scope: 'settings',
  body: automationSchema,
  responses: { 201: 'automation' },
  idempotent: true,
  auditAs: 'automation.created',
  limitedBy: ['automationsPerPractitioner'],
  access: {
    table: {
      read: ['delegateGrant', 'settings', 'template'],
      write: ['automation', 'practitionerQuota', 'template'],
      appendsAudit: true,
    },
  },
});
