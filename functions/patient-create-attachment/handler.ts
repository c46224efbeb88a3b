import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { attachmentPorts } from '../../shared/runtime/attachment-ports.ts';
import { createAttachment } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

const ports = attachmentPorts(declaration);

/** 201 {id, uploadUrl, uploadHeaders, expiresAt}: the attachment is pending until its upload is checked. */
export const handler = httpRoute(
  declaration,
  ({ callerId, body }, deps) => createAttachment(deps, ports, { role: 'patient', id: callerId }, body),
  { idempotency: idempotentWrites },
);
