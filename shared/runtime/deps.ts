/**
 * The one composition root: repositories, clock, ids, publisher and mailer put
 * together into the Deps every use case takes. The Lambda runtime calls it
 * through `functionDeps` (shared/runtime/function-deps.ts) at cold start; tests
 * and the bench scripts call it with their own table, clock and publisher.
 */
import type { Db } from '../db/client.ts';
import type { Quotas } from '../domain/quotas.ts';
import { createAppointmentRepository } from '../repositories/appointment-repository.ts';
import { createAttachmentRepository } from '../repositories/attachment-repository.ts';
import { createAuditRepository } from '../repositories/audit-repository.ts';
import { createContactRepository } from '../repositories/contact-repository.ts';
import { createControlsRepository } from '../repositories/controls-repository.ts';
import { createCountersRepository } from '../repositories/counters-repository.ts';
import { createDelegateEmailStore } from '../repositories/delegate-email-store.ts';
import { createDelegateRepository } from '../repositories/delegate-repository.ts';
import { createDueWorkRepository } from '../repositories/due-work-repository.ts';
import { createNotificationRepository } from '../repositories/notification-repository.ts';
import { createOutbox } from '../repositories/outbox-repository.ts';
import { createPatientRepository } from '../repositories/patient-repository.ts';
import { createQuotaRepository } from '../repositories/quota-repository.ts';
import { createScheduledMessageRepository } from '../repositories/scheduled-message-repository.ts';
import { createSettingsRepository } from '../repositories/settings-repository.ts';
import { createTemplateRepository } from '../repositories/template-repository.ts';
import { createThreadRepository } from '../repositories/thread-repository.ts';
import type { Deps, OptionalRepositories } from '../use-cases/deps.ts';
import { type Clock, systemClock } from './clock.ts';
import { type IdGenerator, ulidGenerator } from './ids.ts';
import { type Mailer, refusingMailer } from './mailer.ts';
import type { EventBus } from './publisher.ts';

export interface DepsParts {
  db: Db;
  /** The bus (only the outbox publisher puts on it); a refusing one by default. */
  events?: EventBus;
  /** Base of the links in emails (APP_BASE_URL). */
  appBaseUrl: string;
  /** Only the functions that send email get a real one; elsewhere any send throws. */
  mailer?: Mailer;
  clock?: Clock;
  ids?: IdGenerator;
  /** Repositories only some functions need (shared/runtime/optional-repositories.ts). */
  optional?: OptionalRepositories;
  /** The stage's quotas; by default the QUOTAS environment JSON (absent: the dev values). */
  quotas?: Quotas;
}

/** For every function but the outbox publisher: putting on the bus directly is a bug (use the outbox). */
const refusingBus: EventBus = {
  async put() {
    throw new Error('Only the outbox publisher puts events on the bus: write them to the outbox');
  },
};

export const buildDeps = (parts: DepsParts): Deps => {
  const clock = parts.clock ?? systemClock;
  const ids = parts.ids ?? ulidGenerator(clock);
  const { db } = parts;
  const outbox = createOutbox(db, { ids, clock });
  return {
    clock,
    ids,
    threads: createThreadRepository(db, outbox),
    settings: createSettingsRepository(db),
    patients: createPatientRepository(db),
    contacts: createContactRepository(db),
    controls: createControlsRepository(db),
    counters: createCountersRepository(db),
    notifications: createNotificationRepository(db),
    mailer: parts.mailer ?? refusingMailer,
    appBaseUrl: parts.appBaseUrl,
    templates: createTemplateRepository(db),
    appointments: createAppointmentRepository(db),
    dueWork: createDueWorkRepository(db),
    scheduledMessages: createScheduledMessageRepository(db),
    audit: createAuditRepository(db),
    delegates: createDelegateRepository(db),
    delegateEmails: createDelegateEmailStore(db),
    quotas: createQuotaRepository(db, parts.quotas),
    ...parts.optional,
    attachments: createAttachmentRepository(db),
    events: parts.events ?? refusingBus,
    outbox,
  };
};
