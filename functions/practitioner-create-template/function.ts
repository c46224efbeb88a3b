import { httpFunction } from '../../shared/function-model/declaration.ts';
import { templateSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-create-template',
  summary: 'Create a template',
  method: 'POST',
  path: '/v1/practitioner/templates',
  role: 'practitioner',
  scope: 'settings',
  body: templateSchema,
  responses: { 201: 'template' },
  idempotent: true,
  auditAs: 'template.created',
  limitedBy: ['templatesPerPractitioner'],
  access: {
    table: { read: ['delegateGrant'], write: ['practitionerQuota', 'template'], appendsAudit: true },
  },
});
