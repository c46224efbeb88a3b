import { httpFunction } from '../../shared/function-model/declaration.ts';
import { templateIdParams, templateSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-replace-template',
  summary: 'Edit a template',
  method: 'PUT',
  path: '/v1/practitioner/templates/{templateId}',
  role: 'practitioner',
  scope: 'settings',
  params: templateIdParams,
  body: templateSchema,
  responses: { 200: 'template' },
  auditAs: 'template.updated',
  access: {
    table: { read: ['delegateGrant', 'template'], write: ['template'], appendsAudit: true },
  },
});
