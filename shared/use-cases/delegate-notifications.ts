/**
 * A delegate's inbox emails (SPEC 11.2, ADR 0015): the assistant asks for a
 * practitioner's digest and instant emails themselves, and they go only to the
 * address of the assistant's own token (`email` with `email_verified`), recorded
 * when they use the service — never an address a practitioner typed.
 */
import { NotFound } from '../domain/errors.ts';
import {
  assistantContactOf,
  recordAssistantContact,
  setDelegateNotify,
} from '../repositories/delegate-email-store.ts';
import { logger, metrics } from '../runtime/logger.ts';
import * as z from '../validation.ts';
import type { Deps } from './deps.ts';
import type { PatientIdentityClaims } from './patient-contact.ts';

const verifiedEmail = z.email().check(z.maxLength(254));

/**
 * Records the token's address as the assistant's contact when it is verified (one
 * conditional PutItem, written only if it differs); true when a verified address is
 * stored now. Best effort: a failure is logged (never the address) and counts as none.
 */
export const recordAssistantIdentity = async (
  deps: Pick<Deps, 'delegateEmails' | 'clock'>,
  assistantId: string,
  identity: PatientIdentityClaims | undefined,
): Promise<boolean> => {
  if (!identity?.emailVerified) return false;
  const parsed = z.safeParse(verifiedEmail, identity.email);
  if (!parsed.success) return false;
  try {
    const written = await recordAssistantContact(
      deps.delegateEmails,
      assistantId,
      parsed.data,
      deps.clock.now().toISOString(),
    );
    if (written) metrics.addMetric('AssistantContactRecorded', 'Count', 1);
    return true;
  } catch (error) {
    metrics.addMetric('AssistantContactNotRecorded', 'Count', 1);
    logger.warn('Assistant contact not recorded', { assistantId, errorName: (error as Error)?.name });
    return false;
  }
};

/**
 * PUT /v1/assistant/practitioners/{practitionerId}/notifications: the assistant's
 * choice on their grant (404 without one: revoked or never granted), and their
 * verified address recorded alongside. `verifiedAddress: false` tells them nothing
 * will be sent until they sign in with a verified email.
 */
export const setDelegateNotifications = async (
  deps: Pick<Deps, 'delegateEmails' | 'clock'>,
  assistantId: string,
  identity: PatientIdentityClaims | undefined,
  practitionerId: string,
  notify: boolean,
) => {
  const [grant, recorded] = await Promise.all([
    setDelegateNotify(
      deps.delegateEmails,
      practitionerId,
      assistantId,
      notify,
      deps.clock.now().toISOString(),
    ),
    recordAssistantIdentity(deps, assistantId, identity),
  ]);
  if (!grant) throw new NotFound('Practitioner');
  const verifiedAddress = recorded || (await assistantContactOf(deps.delegateEmails, assistantId)) !== null;
  return { practitionerId, notify: grant.notify, verifiedAddress };
};
