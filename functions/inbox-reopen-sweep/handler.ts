import { scheduledJob } from '../../shared/events-consumer.ts';
import { reopenDueInboxes } from '../../shared/use-cases/practitioner-controls.ts';

/** Schedule `inbox-reopen` (events/rules.ts): reopens the messaging whose reopening date has come. */
export const handler = scheduledJob('inbox-reopen-sweep', (_event, deps) => reopenDueInboxes(deps));
