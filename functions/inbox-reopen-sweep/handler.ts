import { scheduledJob } from '../../shared/events-consumer.ts';
import { reopenDueInboxes } from '../../shared/use-cases/practitioner-controls.ts';
import { declaration } from './function.ts';

/** Schedule `inbox-reopen` (events/rules.ts): reopens the messaging whose reopening date has come. */
export const handler = scheduledJob(declaration, (_event, deps) => reopenDueInboxes(deps));
