import type { ReplyPolicy } from './types.ts';

export interface PractitionerSettings {
  displayName: string | null;
  email: string | null;
  /** IANA time zone; dates shown to patients and day boundaries use it. */
  timezone: string;
  defaultReplyPolicy: ReplyPolicy;
}

export const DEFAULT_SETTINGS: PractitionerSettings = {
  displayName: null,
  email: null,
  timezone: 'Europe/Paris',
  defaultReplyPolicy: 'single',
};

export const isValidTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
