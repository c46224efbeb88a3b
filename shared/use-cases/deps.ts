import type { CountersRepository } from '../repositories/counters-repository.ts';
import type { PatientRepository } from '../repositories/patient-repository.ts';
import type { SettingsRepository } from '../repositories/settings-repository.ts';
import type { ThreadRepository } from '../repositories/thread-repository.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
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
}

export interface PractitionerActor {
  role: 'practitioner';
  practitionerId: string;
}

export interface PatientActor {
  role: 'patient';
  patientId: string;
}
