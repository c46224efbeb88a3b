import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { s3AttachmentFiles } from '../../shared/runtime/attachment-files.ts';
import { createAttachment } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

const files = s3AttachmentFiles();

/** 201 {id, uploadUrl, uploadHeaders, expiresAt}: the attachment is pending until its upload is checked. */
export const handler = httpRoute(
  declaration,
  ({ callerId, body }, deps) => createAttachment(deps, files, { role: 'patient', id: callerId }, body),
  { idempotency: idempotentWrites },
);
