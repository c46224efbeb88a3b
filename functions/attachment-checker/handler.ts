import { S3ObjectCreated } from '../../events/aws-attachment-events.ts';
import { ATTACHMENT_ENV, requireEnv } from '../../shared/config.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { attachmentPorts } from '../../shared/runtime/attachment-ports.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { checkUploadedObject } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

const ports = attachmentPorts(declaration);
/** In AWS GuardDuty must also report no threat before `clean`; the local stack has no scanner (README). */
const malwareScanRequired = requireEnv(ATTACHMENT_ENV.malwareScan) === 'required';

export const handler = eventConsumer(declaration, [
  on(S3ObjectCreated, async (data, _event, deps) => {
    const outcome = await checkUploadedObject(deps, ports, data.object.key, malwareScanRequired);
    logger.info('Attachment checked', { outcome });
  }),
]);
