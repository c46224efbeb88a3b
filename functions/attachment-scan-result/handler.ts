import { MalwareScanResult } from '../../events/aws-attachment-events.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { recordMalwareScan } from '../../shared/use-cases/attachments.ts';
import { declaration } from './function.ts';

/** AWS only: nothing publishes scan results locally (the local stack does not scan for malware). */
export const handler = eventConsumer(declaration, [
  on(MalwareScanResult, async (data, _event, deps) => {
    const outcome = await recordMalwareScan(
      deps,
      data.s3ObjectDetails.objectKey,
      data.scanResultDetails.scanResultStatus,
    );
    logger.info('Attachment malware scan recorded', { outcome });
  }),
]);
