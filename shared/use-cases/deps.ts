import type { AppointmentRepository } from '../repositories/appointment-repository.ts';
import type { AttachmentRepository } from '../repositories/attachment-repository.ts';
import type { AuditRepository } from '../repositories/audit-repository.ts';
import type { AutomationRepository } from '../repositories/automation-repository.ts';
import type { CommunicationRepository } from '../repositories/communication-repository.ts';
import type { ConnectionRepository } from '../repositories/connection-repository.ts';
import type { ContactRepository } from '../repositories/contact-repository.ts';
import type { ControlsRepository } from '../repositories/controls-repository.ts';
import type { CountersRepository } from '../repositories/counters-repository.ts';
import type { DelegateEmailStore } from '../repositories/delegate-email-store.ts';
import type { DelegateRepository } from '../repositories/delegate-repository.ts';
import type { DueWorkRepository } from '../repositories/due-work-repository.ts';
import type { NotificationRepository } from '../repositories/notification-repository.ts';
import type { Outbox } from '../repositories/outbox-repository.ts';
import type { PatientRepository } from '../repositories/patient-repository.ts';
import type { QuotaRepository } from '../repositories/quota-repository.ts';
import type { ScheduledMessageRepository } from '../repositories/scheduled-message-repository.ts';
import type { SettingsRepository } from '../repositories/settings-repository.ts';
import type { StatsRepository } from '../repositories/stats-repository.ts';
import type { TemplateRepository } from '../repositories/template-repository.ts';
import type { ThreadRepository } from '../repositories/thread-repository.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
import type { Mailer } from '../runtime/mailer.ts';
import type { EventBus } from '../runtime/publisher.ts';
import type { AuditContext } from './audit.ts';

/** Everything a use case touches outside pure rules, injected so tests can fix the clock and the ids. */
export interface Deps {
  clock: Clock;
  ids: IdGenerator;
  threads: ThreadRepository;
  settings: SettingsRepository;
  patients: PatientRepository;
  /** The patients' verified notification addresses (never the practitioner-typed record email). */
  contacts: ContactRepository;
  /** The settings and record a patient's write is decided on, read together; their guards. */
  controls: ControlsRepository;
  counters: CountersRepository;
  /** Puts events on the bus: only the outbox publisher (functions/outbox-publisher) calls it. */
  events: EventBus;
  /**
   * The events a change causes, as items of the change's own transaction (the
   * transactional outbox, shared/repositories/outbox-repository.ts).
   */
  outbox: Outbox;
  /** Notification caps, the sweep queues and the mirrors next to the counters. */
  notifications: NotificationRepository;
  mailer: Mailer;
  /** Base of the links in emails (APP_BASE_URL). */
  appBaseUrl: string;
  templates: TemplateRepository;
  appointments: AppointmentRepository;
  automations?: AutomationRepository;
  dueWork: DueWorkRepository;
  /** Group communications: state, counts, text and per-recipient markers. */
  communications?: CommunicationRepository;
  /** Deferred (scheduled) messages. */
  scheduledMessages: ScheduledMessageRepository;
  /** The append-only audit trail (shared/domain/audit.ts). */
  audit: AuditRepository;
  /** Practice teams: practitioners' grants to assistants (docs/adr/0015). */
  delegates: DelegateRepository;
  /**
   * Time-to-treat statistics (SPEC 11.5). Like `connections`, built only for the functions whose
   * declaration touches its items, from the repositories adapter their handler passes
   * (shared/runtime/function-deps.ts): the others never bundle it.
   */
  stats?: StatsRepository;
  /** The users' open WebSocket connections (SPEC 11.4); see `stats`. */
  connections?: ConnectionRepository;
  /** Delegates' inbox emails: who asked, their verified addresses (ADR 0015). */
  delegateEmails: DelegateEmailStore;
  /** Per-user quotas: items of the write's own transaction (docs/adr/0011). */
  quotas: QuotaRepository;
  /** Attachments (SPEC 11.3): their items only; the files are the attachment functions' own port. */
  attachments: AttachmentRepository;
  /**
   * Who is acting in this request or delivery, set per invocation by httpRoute /
   * eventConsumer / scheduledJob (withAuditContext, shared/use-cases/audit.ts):
   * every thread change is then audited in its own transaction. Absent in tests
   * that call use cases directly without one: nothing is audited there.
   */
  auditContext?: AuditContext;
}

export interface PractitionerActor {
  role: 'practitioner';
  practitionerId: string;
}

export interface PatientActor {
  role: 'patient';
  patientId: string;
}

/** The repositories only some functions are built with (see `stats`). */
export type OptionalRepositories = Pick<Deps, 'stats' | 'connections' | 'communications' | 'automations'>;

/** An optional repository a use case cannot do without: its absence is a wiring bug, caught at cold start. */
export const needs = <K extends keyof OptionalRepositories>(
  deps: OptionalRepositories,
  name: K,
): NonNullable<OptionalRepositories[K]> => {
  const repository = deps[name];
  if (!repository) throw new Error(`The ${name} repository was not built for this function`);
  return repository as NonNullable<OptionalRepositories[K]>;
};
