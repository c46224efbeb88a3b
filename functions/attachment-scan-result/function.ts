import { MalwareScanResult } from '../../events/index.ts';
import { ATTACHMENT_OBJECT_PREFIX } from '../../shared/domain/attachments.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'attachment-scan-result',
  summary: "Records GuardDuty's malware scan of an attachment: no threat found, or rejected",
  rule: {
    name: 'attachment-malware-scanned',
    events: [MalwareScanResult],
    bus: 'default',
    // GuardDuty reports on every protected bucket of the account: only the attachments' scans.
    objects: { bucket: 'attachments', keyPrefix: ATTACHMENT_OBJECT_PREFIX },
  },
  access: { table: { read: ['attachment'], write: ['attachment'] } },
});
