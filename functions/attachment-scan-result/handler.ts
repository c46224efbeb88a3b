import { MalwareScanResult } from '../../events/aws-attachment-events.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { attachmentChecks } from '../../shared/runtime/attachment-ports.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { recordMalwareScan } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

const checks = attachmentChecks(declaration);

/** AWS only: nothing publishes scan results locally (the local stack does not scan for malware). */
export const handler = eventConsumer(declaration, [
  on(MalwareScanResult, async (data) => {
    const outcome = await recordMalwareScan(
      checks,
      data.s3ObjectDetails.objectKey,
      data.scanResultDetails.scanResultStatus,
    );
    logger.info('Attachment malware scan recorded', { outcome });
  }),
]);
