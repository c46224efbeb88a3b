import { AttachmentRemoved } from '../../events/attachment-removed.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { s3AttachmentFiles } from '../../shared/runtime/attachment-files.ts';
import { removeAttachmentObject } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

const files = s3AttachmentFiles();

/** AttachmentRemoved → the object is deleted (a redelivery finds it gone: fine). */
export const handler = eventConsumer(declaration, [
  on(AttachmentRemoved, (data) => removeAttachmentObject(files, data.attachmentId)),
]);
