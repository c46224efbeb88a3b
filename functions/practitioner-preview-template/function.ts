import { httpFunction } from '../../shared/function-model/declaration.ts';
import { templateIdParams, templatePreviewSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-preview-template',
  summary: 'Render a template for a patient (and appointment)',
  method: 'POST',
  path: '/v1/practitioner/templates/{templateId}/preview',
  role: 'practitioner',
  scope: 'inbox',
  params: templateIdParams,
  body: templatePreviewSchema,
  responses: { 200: 'templatePreview' },
  access: {
    table: { read: ['appointment', 'delegateGrant', 'patientRecord', 'settings', 'template'] },
  },
});
