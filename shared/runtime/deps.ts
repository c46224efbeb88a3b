/**
 * The one composition root: repositories, clock, ids, publisher and mailer put
 * together into the Deps every use case takes. The Lambda runtime calls it
 * through `functionDeps` (shared/runtime/function-deps.ts) at cold start; tests
 * and the bench scripts call it with their own table, clock and publisher.
 */
import type { Db } from '../db/client.ts';
import { createAppointmentRepository } from '../repositories/appointment-repository.ts';
import { createAuditRepository } from '../repositories/audit-repository.ts';
import { createAutomationRepository } from '../repositories/automation-repository.ts';
import { createCommunicationRepository } from '../repositories/communication-repository.ts';
import { createCountersRepository } from '../repositories/counters-repository.ts';
import { createDueWorkRepository } from '../repositories/due-work-repository.ts';
import { createNotificationRepository } from '../repositories/notification-repository.ts';
import { createPatientRepository } from '../repositories/patient-repository.ts';
import { createScheduledMessageRepository } from '../repositories/scheduled-message-repository.ts';
import { createSettingsRepository } from '../repositories/settings-repository.ts';
import { createTemplateRepository } from '../repositories/template-repository.ts';
import { createThreadRepository } from '../repositories/thread-repository.ts';
import type { Deps } from '../use-cases/deps.ts';
import { type Clock, systemClock } from './clock.ts';
import { type IdGenerator, ulidGenerator } from './ids.ts';
import { type Mailer, refusingMailer } from './mailer.ts';
import type { EventPublisher } from './publisher.ts';

export interface DepsParts {
  db: Db;
  /** A publisher, or how to make one with the ids and clock chosen here (event ids, `occurredAt`). */
  events: EventPublisher | ((core: { ids: IdGenerator; clock: Clock }) => EventPublisher);
  /** Base of the links in emails (APP_BASE_URL). */
  appBaseUrl: string;
  /** Only the functions that send email get a real one; elsewhere any send throws. */
  mailer?: Mailer;
  clock?: Clock;
  ids?: IdGenerator;
}

export const buildDeps = (parts: DepsParts): Deps => {
  const clock = parts.clock ?? systemClock;
  const ids = parts.ids ?? ulidGenerator(clock);
  const { db } = parts;
  return {
    clock,
    ids,
    threads: createThreadRepository(db),
    settings: createSettingsRepository(db),
    patients: createPatientRepository(db),
    counters: createCountersRepository(db),
    notifications: createNotificationRepository(db),
    mailer: parts.mailer ?? refusingMailer,
    appBaseUrl: parts.appBaseUrl,
    templates: createTemplateRepository(db),
    appointments: createAppointmentRepository(db),
    automations: createAutomationRepository(db),
    dueWork: createDueWorkRepository(db),
    communications: createCommunicationRepository(db),
    scheduledMessages: createScheduledMessageRepository(db),
    audit: createAuditRepository(db),
    events: typeof parts.events === 'function' ? parts.events({ ids, clock }) : parts.events,
  };
};
