import { httpFunction } from '../../shared/function-model/declaration.ts';
import { createAttachmentSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-create-attachment',
  summary: 'Create an attachment: a presigned PUT (15 minutes) bound to the declared type and size',
  method: 'POST',
  path: '/v1/practitioner/attachments',
  role: 'practitioner',
  scope: 'inbox',
  body: createAttachmentSchema,
  responses: { 201: 'attachmentUpload' },
  idempotent: true,
  access: {
    table: { read: ['delegateGrant'], write: ['attachment', 'dueWork'] },
    attachmentFiles: ['upload'],
  },
});
