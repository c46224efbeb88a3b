import { httpRoute } from '../../shared/http/route.ts';
import { s3AttachmentFiles } from '../../shared/runtime/attachment-files.ts';
import { downloadAttachment } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

const files = s3AttachmentFiles();

/** 200 {downloadUrl, expiresAt} for the thread's participants (audited); 404 for anyone else. */
export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  downloadAttachment(
    deps,
    files,
    { role: 'practitioner', id: callerId },
    params.threadId,
    params.attachmentId,
  ),
);
