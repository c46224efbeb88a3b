import type { AppointmentRepository } from '../repositories/appointment-repository.ts';
import type { AutomationRepository } from '../repositories/automation-repository.ts';
import type { CountersRepository } from '../repositories/counters-repository.ts';
import type { DueWorkRepository } from '../repositories/due-work-repository.ts';
import type { NotificationRepository } from '../repositories/notification-repository.ts';
import type { PatientRepository } from '../repositories/patient-repository.ts';
import type { SettingsRepository } from '../repositories/settings-repository.ts';
import type { TemplateRepository } from '../repositories/template-repository.ts';
import type { ThreadRepository } from '../repositories/thread-repository.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
import type { Mailer } from '../runtime/mailer.ts';
import type { EventPublisher } from '../runtime/publisher.ts';

/** Everything a use case touches outside pure rules, injected so tests can fix the clock and the ids. */
export interface Deps {
  clock: Clock;
  ids: IdGenerator;
  threads: ThreadRepository;
  settings: SettingsRepository;
  patients: PatientRepository;
  counters: CountersRepository;
  events: EventPublisher;
  /** Notification caps, the sweep queues and the mirrors next to the counters. */
  notifications: NotificationRepository;
  mailer: Mailer;
  /** Base of the links in emails (APP_BASE_URL). */
  appBaseUrl: string;
  templates: TemplateRepository;
  appointments: AppointmentRepository;
  automations: AutomationRepository;
  dueWork: DueWorkRepository;
}

export interface PractitionerActor {
  role: 'practitioner';
  practitionerId: string;
}

export interface PatientActor {
  role: 'patient';
  patientId: string;
}
