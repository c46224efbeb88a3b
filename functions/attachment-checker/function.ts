import { S3ObjectCreated } from '../../events/index.ts';
import { ATTACHMENT_OBJECT_PREFIX } from '../../shared/domain/attachments.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'attachment-checker',
  summary: 'Checks an uploaded attachment (size, magic bytes against the declared type): clean or rejected',
  // S3 puts its events on the account's default bus (the bucket's eventBridgeEnabled).
  rule: {
    name: 'attachment-uploaded-check',
    events: [S3ObjectCreated],
    bus: 'default',
    // The default bus carries every EventBridge-enabled bucket's uploads: only the attachments' ones.
    objects: { bucket: 'attachments', keyPrefix: ATTACHMENT_OBJECT_PREFIX },
  },
  access: {
    table: { read: ['attachment'], write: ['attachment'] },
    attachmentFiles: ['read'],
  },
});
