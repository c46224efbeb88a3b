import { AttachmentRemoved } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'attachment-remover',
  summary:
    'Deletes the object of an attachment whose item was removed (unused for 24 hours, erased, or deleted by the TTL)',
  rule: { name: 'attachment-removed-delete-object', events: [AttachmentRemoved] },
  access: { attachmentFiles: ['delete'] },
});
