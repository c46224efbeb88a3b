/**
 * Automations: "when an appointment is completed (optionally only for motive M),
 * send template T with reply policy P, D minutes later".
 *
 * Exactly one message per (automation, appointment), whatever the retries,
 * duplicate events and double sweeps: the message is written in one
 * transaction with a marker item Put only if absent, and with a check that the
 * appointment is still completed (a cancel that lands first means nothing is
 * sent). Delays go through the due-work queue (shared/use-cases/due-work.ts).
 */

import { withOptimisticRetry } from '../db/transactions.ts';
import type { Appointment } from '../domain/appointments.ts';
import { isBookingKnown } from '../domain/appointments.ts';
import {
  type Automation,
  type AutomationTrigger,
  type AutomationWork,
  automationDueAt,
  automationWorkId,
  motiveMatches,
} from '../domain/automations.ts';
import { addMs } from '../domain/due-work.ts';
import { DomainError } from '../domain/errors.ts';
import type { ReplyPolicy } from '../domain/types.ts';
import { addTo, removeFrom, withRelease } from '../repositories/quota-repository.ts';
import { logger, metrics } from '../runtime/logger.ts';
import * as z from '../validation.ts';
import { loadTemplate } from './compose-message.ts';
import { type Deps, needs, type PractitionerActor } from './deps.ts';
import { startPractitionerThread } from './practitioner-messaging.ts';

export const automationView = (automation: Automation) => ({
  id: automation.id,
  trigger: automation.trigger,
  motive: automation.motive,
  templateId: automation.templateId,
  replyPolicy: automation.replyPolicy,
  delayMinutes: automation.delayMinutes,
  createdAt: automation.createdAt,
});

export interface AutomationInput {
  trigger: AutomationTrigger;
  motive?: string | null;
  templateId: string;
  replyPolicy?: ReplyPolicy;
  delayMinutes: number;
}

/**
 * The reply policy is fixed when the automation is created (the request's, else
 * the template's default, else the practitioner's setting), so what it will
 * grant is visible in the list.
 */
export const createAutomation = async (deps: Deps, actor: PractitionerActor, input: AutomationInput) => {
  const template = await loadTemplate(deps, actor.practitionerId, input.templateId);
  const replyPolicy =
    input.replyPolicy ??
    template.defaultReplyPolicy ??
    (await deps.settings.get(actor.practitionerId)).defaultReplyPolicy;
  const automation = await needs(deps, 'automations').create(
    {
      id: deps.ids.next(),
      practitionerId: actor.practitionerId,
      trigger: input.trigger,
      motive: input.motive ?? null,
      templateId: input.templateId,
      replyPolicy,
      delayMinutes: input.delayMinutes,
      createdAt: deps.clock.now().toISOString(),
    },
    [addTo(deps.quotas, actor.practitionerId, 'automationsPerPractitioner')],
  );
  return automationView(automation);
};

export const listAutomations = async (
  deps: Deps,
  actor: PractitionerActor,
  page: { limit: number; cursor?: string },
) => {
  const result = await needs(deps, 'automations').list(actor.practitionerId, page);
  return { items: result.items.map(automationView), nextCursor: result.nextCursor };
};

/** Pending runs of a deleted automation send nothing (the run re-reads it). */
export const deleteAutomation = (deps: Deps, actor: PractitionerActor, automationId: string) =>
  withRelease(removeFrom(deps.quotas, actor.practitionerId, 'automationsPerPractitioner'), (guards) =>
    needs(deps, 'automations').delete(actor.practitionerId, automationId, guards),
  );

class AutomationAlreadyRan extends Error {
  override readonly name = 'AutomationAlreadyRan';
}

class AppointmentNoLongerCompleted extends Error {
  override readonly name = 'AppointmentNoLongerCompleted';
}

export type AutomationRunResult =
  | { outcome: 'sent'; threadId: string; messageId: string }
  | { outcome: 'skipped'; reason: string }
  /** The booking (motive, start time, patient record) has not arrived yet: try again later. */
  | { outcome: 'not-ready'; reason: string }
  /** Cannot be sent as it stands (a variable without value…): retrying would not help. */
  | { outcome: 'failed'; reason: string };

const skipped = (reason: string): AutomationRunResult => ({ outcome: 'skipped', reason });

/**
 * Sends one automation's message about one appointment, at most once. Safe to
 * call any number of times, concurrently too.
 */
export const runAutomation = async (deps: Deps, work: AutomationWork): Promise<AutomationRunResult> => {
  const { practitionerId, automationId, appointmentId } = work;
  const [appointment, automation, previous] = await Promise.all([
    deps.appointments.get(practitionerId, appointmentId),
    needs(deps, 'automations').get(practitionerId, automationId),
    needs(deps, 'automations').getRun(practitionerId, automationId, appointmentId),
  ]);
  if (previous) return skipped('already-sent');
  if (!appointment) return skipped('appointment-unknown');
  if (appointment.status === 'cancelled') return skipped('appointment-cancelled');
  if (appointment.status !== 'completed') return skipped('appointment-not-completed');
  if (!automation) return skipped('automation-deleted');
  if (!isBookingKnown(appointment)) return { outcome: 'not-ready', reason: 'booking-not-received' };
  if (!motiveMatches(automation, appointment.motive)) return skipped('motive-not-matching');
  try {
    // A lost transaction race (TransactionConflict) is retried; the retry then meets the marker.
    const sent = await withOptimisticRetry(() =>
      startPractitionerThread(
        deps,
        { role: 'practitioner', practitionerId },
        {
          patientId: appointment.patientId,
          templateId: automation.templateId,
          replyPolicy: automation.replyPolicy,
          appointmentId,
        },
        {
          appointment,
          extraItems: ({ thread, message }) => [
            {
              item: needs(deps, 'automations').runMarkerItem({
                practitionerId,
                automationId,
                appointmentId,
                patientId: appointment.patientId,
                threadId: thread.id,
                messageId: message.id,
                sentAt: message.sentAt,
              }),
              onConditionFailed: () => new AutomationAlreadyRan(),
            },
            {
              item: deps.appointments.stillCompletedCheck(practitionerId, appointmentId),
              onConditionFailed: () => new AppointmentNoLongerCompleted(),
            },
          ],
        },
      ),
    );
    metrics.addMetric('AutomationMessageSent', 'Count', 1);
    return { outcome: 'sent', threadId: sent.thread.id, messageId: sent.message.id };
  } catch (error) {
    if (error instanceof AutomationAlreadyRan) return skipped('already-sent');
    if (error instanceof AppointmentNoLongerCompleted) return skipped('appointment-cancelled');
    if (error instanceof DomainError) {
      // The template needs a value this appointment or patient lacks, or the patient left the base.
      const variable = (error.details as { variable?: string } | undefined)?.variable;
      metrics.addMetric('AutomationNotSent', 'Count', 1);
      logger.error('Automation could not be sent', {
        automationId,
        appointmentId,
        code: error.code,
        variable,
      });
      return { outcome: 'failed', reason: variable ? `${error.code}:${variable}` : error.code };
    }
    throw error;
  }
};

/** Payload of the `automation` due-work kind: ids only. */
export const automationWorkSchema = z.strictObject({
  practitionerId: z.string().check(z.minLength(1)),
  automationId: z.string().check(z.minLength(1)),
  appointmentId: z.string().check(z.minLength(1)),
});

/** How long to wait for a booking that has not arrived yet before trying again. */
export const NOT_READY_RETRY_MS = 60_000;

/**
 * On a completed appointment: every automation of the practitioner that may
 * match runs now (delay 0, or its time has already passed) or is put in the
 * due-work queue for its time. Idempotent: the queue item's id is the
 * (automation, appointment) pair and the send holds the exactly-once marker.
 */
export const triggerAutomations = async (deps: Deps, appointment: Appointment) => {
  if (appointment.status !== 'completed' || !appointment.completedAt) return [];
  const completedAt = appointment.completedAt;
  const automations = (await needs(deps, 'automations').listAll(appointment.practitionerId)).filter(
    (a) =>
      a.trigger === 'appointment_completed' &&
      // Unknown motive (completion seen before booking): decided when the run happens.
      (!isBookingKnown(appointment) || motiveMatches(a, appointment.motive)),
  );
  const now = deps.clock.now().toISOString();
  return Promise.all(
    automations.map(async (automation) => {
      const work: AutomationWork = {
        practitionerId: appointment.practitionerId,
        automationId: automation.id,
        appointmentId: appointment.appointmentId,
      };
      const schedule = (dueAt: string) =>
        deps.dueWork.schedule(
          { workId: automationWorkId(work), kind: 'automation', payload: { ...work }, dueAt },
          now,
        );
      const dueAt = automationDueAt(automation, completedAt);
      if (dueAt > now) return { automationId: automation.id, result: await schedule(dueAt) };
      const result = await runAutomation(deps, work);
      if (result.outcome === 'not-ready') {
        return { automationId: automation.id, result: await schedule(addMs(now, NOT_READY_RETRY_MS)) };
      }
      return { automationId: automation.id, result: result.outcome };
    }),
  );
};
