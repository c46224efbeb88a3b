import { logger, metrics } from '../runtime/logger.ts';
import * as z from '../validation.ts';
import type { Deps } from './deps.ts';

/**
 * The patient's verified notification address (ADR 0010). A patient is emailed
 * only at an address from a verified source: their own identity (the `email`
 * of their token, when `email_verified` is true), recorded here when they use
 * the service, or the agenda's (recordAppointmentBooked). The `email` a
 * practitioner types on a patient record is contact information only.
 */

/** The `email` / `email_verified` claims of a patient's token, as the route wrapper passes them. */
export interface PatientIdentityClaims {
  email: string;
  emailVerified: boolean;
}

const verifiedEmail = z.email().check(z.maxLength(254));

/**
 * Patients whose identity address this container already found stored (patient
 * id → address): their next requests send nothing. Bounded; the oldest is
 * forgotten first. A stale entry only delays re-recording until the container goes.
 */
const known = new Map<string, string>();
const KNOWN_MAX = 5_000;

export type IdentityOutcome = 'recorded' | 'unchanged' | 'known' | 'unverified';

/**
 * Records the token's address as the patient's `identity` contact when it is
 * verified: one conditional PutItem the first time a container sees this
 * patient with this address (written only if the stored one differs), then
 * nothing. An unverified or malformed address is never recorded.
 */
export const recordPatientIdentity = async (
  deps: Pick<Deps, 'contacts' | 'clock'>,
  patientId: string,
  identity: PatientIdentityClaims | undefined,
): Promise<IdentityOutcome> => {
  if (!identity?.emailVerified) return 'unverified';
  const parsed = z.safeParse(verifiedEmail, identity.email);
  if (!parsed.success) return 'unverified';
  const email = parsed.data;
  if (known.get(patientId) === email) return 'known';
  const written = await deps.contacts.recordIdentity(patientId, email, deps.clock.now().toISOString());
  known.delete(patientId);
  known.set(patientId, email);
  if (known.size > KNOWN_MAX) known.delete(known.keys().next().value as string);
  if (written) metrics.addMetric('PatientContactRecorded', 'Count', 1);
  return written ? 'recorded' : 'unchanged';
};

/**
 * Runs a patient's request and records their verified address alongside it (in
 * parallel: no added latency). Recording is best effort: its failure is logged
 * (never the address) and the request still answers; the next request retries.
 */
export const withPatientIdentity = async <T>(
  deps: Pick<Deps, 'contacts' | 'clock'>,
  patientId: string,
  identity: PatientIdentityClaims | undefined,
  request: Promise<T>,
): Promise<T> => {
  const [result] = await Promise.all([
    request,
    recordPatientIdentity(deps, patientId, identity).catch((error: unknown) => {
      metrics.addMetric('PatientContactNotRecorded', 'Count', 1);
      logger.warn('Patient contact not recorded', { patientId, errorName: (error as Error)?.name });
    }),
  ]);
  return result;
};

/** Forgets what this container knows (tests that record the same patient from a fresh state). */
export const forgetKnownIdentities = () => known.clear();
