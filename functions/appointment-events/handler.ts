import { eventConsumer } from '../../shared/events-consumer.ts';
import { automationRepository } from '../../shared/runtime/optional-repositories.ts';
import { appointmentEventHandlers } from './consumers.ts';
import { declaration } from './function.ts';

/** The agenda's appointment events: kept for templates and the appointment window; a completion runs automations. */
export const handler = eventConsumer(declaration, appointmentEventHandlers, {
  repositories: automationRepository,
});
