import { httpFunction } from '../../shared/function-model/declaration.ts';
import { templateIdParams } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-delete-template',
  summary: 'Delete a template',
  method: 'DELETE',
  path: '/v1/practitioner/templates/{templateId}',
  role: 'practitioner',
  scope: 'settings',
  params: templateIdParams,
  responses: { 204: null },
  auditAs: 'template.deleted',
  access: {
    table: {
      read: ['delegateGrant', 'template'],
      write: ['practitionerQuota', 'template'],
      appendsAudit: true,
    },
  },
});
