/**
 * EventBridge rules: which consumer function receives which events. The CDK stack
 * deploys these patterns and the local bus matches with the same ones.
 * Consumer handlers live in functions/<target>/handler.ts.
 */
import { AGENDA_SOURCE, EVENT_SOURCE } from '../shared/config.ts';

export interface EventPattern {
  source: string[];
  'detail-type': string[];
}

export interface RuleDefinition {
  name: string;
  pattern: EventPattern;
  target: string;
  /** The target sends email: only such targets get `ses:SendEmail` (and bundle the SES client). */
  sendsEmail?: boolean;
}

export const RULES: RuleDefinition[] = [
  // Notifications (shared/use-cases/notifications.ts): each consumer is idempotent through a conditional claim.
  {
    name: 'message-received-notify-practitioner',
    pattern: { source: [EVENT_SOURCE], 'detail-type': ['MessageReceived'] },
    target: 'notify-practitioner',
    sendsEmail: true,
  },
  {
    name: 'thread-treated-untreated-index',
    pattern: { source: [EVENT_SOURCE], 'detail-type': ['ThreadTreated'] },
    target: 'untreated-index',
  },
  {
    name: 'message-sent-notify-patient',
    pattern: { source: [EVENT_SOURCE], 'detail-type': ['MessageSent'] },
    target: 'notify-patient',
    sendsEmail: true,
  },
  // The agenda's appointments (shared/use-cases/appointments.ts): kept for templates and the
  // appointment window; a completion triggers the practitioner's automations.
  {
    name: 'appointment-events',
    pattern: {
      source: [AGENDA_SOURCE],
      'detail-type': ['AppointmentBooked', 'AppointmentCancelled', 'AppointmentCompleted'],
    },
    target: 'appointment-events',
  },
  // Group communications (shared/use-cases/communications.ts): one bounded chunk per delivery; each
  // chunk hands the next one on by publishing CommunicationChunkRequested (EventBridge self-chaining).
  {
    name: 'communication-fanout',
    pattern: {
      source: [EVENT_SOURCE],
      'detail-type': ['CommunicationRequested', 'CommunicationChunkRequested'],
    },
    target: 'communication-fanout',
  },
];

/** Scheduled rules (cron/rate in production, a timer in the local stack). */
export interface ScheduleDefinition {
  name: string;
  /** Minutes between runs in production. */
  everyMinutes: number;
  target: string;
  /** The target sends email: only such targets get `ses:SendEmail`. */
  sendsEmail?: boolean;
}

export const SCHEDULES: ScheduleDefinition[] = [
  // Reopens closed messaging whose reopening date has come (the rules already treat it as open then).
  { name: 'inbox-reopen', everyMinutes: 5, target: 'inbox-reopen-sweep' },
  // The untreated digest for practitioners still over their threshold whose 7 days have passed, and
  // pending every_message summaries; it reads only the sparse DIGEST_DUE / NOTIFY_PENDING queues.
  { name: 'untreated-sweep', everyMinutes: 60, target: 'untreated-sweep', sendsEmail: true },
  // Deferred work due by now (automations' delayed messages, deferred messages, the group-communication
  // watchdog; shared/use-cases/due-work.ts). Reads only the pending items of the sparse gsi5 DUE#<shard> queues.
  { name: 'due-work', everyMinutes: 1, target: 'due-work-sweep' },
];
