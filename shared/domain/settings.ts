import { DEFAULT_NOTIFICATIONS, type NotificationSettings } from './notifications.ts';
import type { PatientAttribute, ReplyPolicy } from './types.ts';

/** Who may start a request (a new patient thread); replies follow each message's reply policy. */
export const WHO_CAN_START_REQUESTS = ['all_patients', 'allowed_patients', 'nobody'] as const;
export type WhoCanStartRequests = (typeof WHO_CAN_START_REQUESTS)[number];

export interface PractitionerSettings {
  displayName: string | null;
  email: string | null;
  /** IANA time zone; dates shown to patients and day boundaries use it. */
  timezone: string;
  defaultReplyPolicy: ReplyPolicy;
  /** Practitioner controls (shared/domain/messaging-rules.ts): closed = patients cannot write. */
  inboxOpen: boolean;
  /** Shown verbatim to patients while the messaging is closed. */
  absenceMessage: string | null;
  /** When a closed messaging reopens by itself (ISO-8601 UTC); null = closed until reopened by hand. */
  reopensAt: string | null;
  whoCanStartRequests: WhoCanStartRequests;
  /** Under `allowed_patients`: patients having any of these attributes may start requests. */
  allowedAttributes: PatientAttribute[];
  /** After a request is treated, no new one from that patient before the next local calendar day. */
  sameDayCooldown: boolean;
  /** Patients may attach files to their messages (SPEC 11.3); practitioners always may. */
  patientAttachments: boolean;
  /** Practitioner emails (shared/domain/notifications.ts); `email` null = the settings `email`. */
  notifications: NotificationSettings;
}

export const DEFAULT_SETTINGS: PractitionerSettings = {
  displayName: null,
  email: null,
  timezone: 'Europe/Paris',
  defaultReplyPolicy: 'single',
  inboxOpen: true,
  absenceMessage: null,
  reopensAt: null,
  whoCanStartRequests: 'all_patients',
  allowedAttributes: [],
  sameDayCooldown: false,
  patientAttachments: false,
  notifications: DEFAULT_NOTIFICATIONS,
};

/** A PATCH: any top-level subset, and any subset of `notifications` (merged, not replaced). */
export type SettingsPatch = Partial<Omit<PractitionerSettings, 'notifications'>> & {
  notifications?: Partial<NotificationSettings>;
};

export const isValidTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
