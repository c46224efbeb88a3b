/**
 * What a practitioner message says: the given text, or a template rendered for
 * one patient (and appointment). Shared by new threads, replies, the appointment
 * window, automations — and group communications and deferred sends, which
 * render per patient through the same function.
 */
import type { Appointment } from '../domain/appointments.ts';
import { NotFound, ValidationError } from '../domain/errors.ts';
import type { PractitionerSettings } from '../domain/settings.ts';
import { renderTemplate, type TemplateContext, templateValues } from '../domain/templates.ts';
import type { PatientRecord, ReplyPolicy } from '../domain/types.ts';
import { MAX_BODY_CHARS } from '../http/schemas.ts';
import type { Template } from '../repositories/template-repository.ts';
import type { Deps } from './deps.ts';

/** `body` or `templateId`, exactly one (the HTTP schemas refuse both and neither). */
export interface MessageContent {
  body?: string | undefined;
  templateId?: string | undefined;
}

export interface ComposedMessage {
  body: string;
  replyPolicy: ReplyPolicy;
  templateId: string | null;
}

export const templateContext = (
  patient: Pick<PatientRecord, 'firstName' | 'lastName'> | null,
  settings: Pick<PractitionerSettings, 'displayName' | 'timezone'>,
  appointment: Pick<Appointment, 'startsAt' | 'motive'> | null,
): TemplateContext => ({
  patient: patient ? { firstName: patient.firstName, lastName: patient.lastName } : null,
  practitioner: { displayName: settings.displayName, timezone: settings.timezone },
  appointment: appointment ? { startsAt: appointment.startsAt, motive: appointment.motive } : null,
});

/**
 * Renders a template for one message; a variable without a value is a 422
 * naming it. The result obeys the message size rule like a typed body.
 */
export const renderForMessage = (body: string, context: TemplateContext): string => {
  const rendered = renderTemplate(body, templateValues(context)).trim();
  if (rendered.length > MAX_BODY_CHARS) {
    throw new ValidationError('The rendered message is too long', [
      { path: ['templateId'], message: `Once filled in, the message exceeds ${MAX_BODY_CHARS} characters` },
    ]);
  }
  return rendered;
};

export const loadTemplate = async (
  deps: Pick<Deps, 'templates'>,
  practitionerId: string,
  templateId: string,
) => {
  const template = await deps.templates.get(practitionerId, templateId);
  if (!template) throw new NotFound('Template');
  return template;
};

/**
 * The body and reply policy of one practitioner message. The policy is the
 * request's, else the template's default, else the practitioner's setting.
 */
export const composeMessage = async (
  deps: Pick<Deps, 'templates' | 'settings' | 'patients'>,
  practitionerId: string,
  content: MessageContent,
  /** Whom (and which appointment) a template is rendered for; not needed for a typed body. */
  target: { patientId: string; appointment: Appointment | null } | null,
  requestedPolicy: ReplyPolicy | undefined,
  preloaded: { template?: Template; settings?: PractitionerSettings } = {},
): Promise<ComposedMessage> => {
  if (content.templateId === undefined) {
    if (content.body === undefined) throw new ValidationError('Give the message body or a templateId');
    const replyPolicy = requestedPolicy ?? (await deps.settings.get(practitionerId)).defaultReplyPolicy;
    return { body: content.body, replyPolicy, templateId: null };
  }
  if (!target) throw new Error('A template needs a patient to be rendered for');
  const [template, settings, patient] = await Promise.all([
    preloaded.template ?? loadTemplate(deps, practitionerId, content.templateId),
    preloaded.settings ?? deps.settings.get(practitionerId),
    deps.patients.get(practitionerId, target.patientId),
  ]);
  // For the practitioner, a patient outside their base is simply an unknown patient.
  if (!patient) throw new NotFound('Patient');
  return {
    body: renderForMessage(template.body, templateContext(patient, settings, target.appointment)),
    replyPolicy: requestedPolicy ?? template.defaultReplyPolicy ?? settings.defaultReplyPolicy,
    templateId: template.id,
  };
};

/** The practitioner's appointment with this patient, or 404 (someone else's is never revealed). */
export const loadAppointmentFor = async (
  deps: Pick<Deps, 'appointments'>,
  practitionerId: string,
  appointmentId: string,
  patientId?: string,
): Promise<Appointment> => {
  const appointment = await deps.appointments.get(practitionerId, appointmentId);
  if (!appointment || (patientId !== undefined && appointment.patientId !== patientId)) {
    throw new NotFound('Appointment');
  }
  return appointment;
};
