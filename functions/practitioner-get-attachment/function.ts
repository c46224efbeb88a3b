import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadAttachmentParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-get-attachment',
  summary: 'A download link (presigned GET, 5 minutes) to an attachment of one of the caller’s threads',
  method: 'GET',
  path: '/v1/practitioner/threads/{threadId}/attachments/{attachmentId}',
  role: 'practitioner',
  scope: 'inbox',
  params: threadAttachmentParams,
  responses: { 200: 'attachmentDownload' },
  access: {
    table: { read: ['attachment', 'delegateGrant', 'message', 'thread'], appendsAudit: true },
    attachmentFiles: ['download'],
  },
});
