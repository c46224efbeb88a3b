import type { ReplyPolicy } from './types.ts';

/**
 * A practitioner's rule: when an appointment is completed (optionally only for
 * one motive), send template T with reply policy P, D minutes later.
 */
export const AUTOMATION_TRIGGERS = ['appointment_completed'] as const;
export type AutomationTrigger = (typeof AUTOMATION_TRIGGERS)[number];

/** Up to 30 days after the consultation. */
export const MAX_AUTOMATION_DELAY_MINUTES = 30 * 24 * 60;

export interface Automation {
  id: string;
  practitionerId: string;
  trigger: AutomationTrigger;
  motive: string | null;
  templateId: string;
  replyPolicy: ReplyPolicy;
  delayMinutes: number;
  createdAt: string;
}

/** Motives are agenda labels typed by people: compare them without case, accents' encoding or outer spaces. */
const normaliseMotive = (motive: string) => motive.normalize('NFC').trim().toLocaleLowerCase('fr-FR');

export const motiveMatches = (automation: Pick<Automation, 'motive'>, motive: string | null): boolean =>
  automation.motive === null ||
  (motive !== null && normaliseMotive(automation.motive) === normaliseMotive(motive));

/** When the automation's message is due: the completion time plus the delay. */
export const automationDueAt = (automation: Pick<Automation, 'delayMinutes'>, completedAt: string): string =>
  new Date(new Date(completedAt).getTime() + automation.delayMinutes * 60_000).toISOString();

/** The deferred work that sends one automation's message about one appointment (ids only). */
export interface AutomationWork {
  practitionerId: string;
  automationId: string;
  appointmentId: string;
}

/** One unit of work per (automation, appointment): scheduling it twice is a no-op. */
export const automationWorkId = (work: AutomationWork) =>
  `automation.${work.practitionerId}.${work.automationId}.${work.appointmentId}`;
