import { httpFunction } from '../../shared/function-model/declaration.ts';
import { templateIdParams } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-get-template',
  summary: 'Read a template',
  method: 'GET',
  path: '/v1/practitioner/templates/{templateId}',
  role: 'practitioner',
  scope: 'inbox',
  params: templateIdParams,
  responses: { 200: 'template' },
  access: {
    table: { read: ['delegateGrant', 'template'] },
  },
});
