import { MalwareScanResult } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'attachment-scan-result',
  summary: "Records GuardDuty's malware scan of an attachment: no threat found, or rejected",
  rule: { name: 'attachment-malware-scanned', events: [MalwareScanResult], bus: 'default' },
  access: { table: { read: ['attachment'], write: ['attachment'] } },
});
