import { NotFound } from '../domain/errors.ts';
import { templateVariables, validateTemplateBody } from '../domain/templates.ts';
import type { ReplyPolicy } from '../domain/types.ts';
import { addTo, removeFrom, withRelease } from '../repositories/quota-repository.ts';
import type { Template } from '../repositories/template-repository.ts';
import { loadAppointmentFor, loadTemplate, renderForMessage, templateContext } from './compose-message.ts';
import type { Deps, PractitionerActor } from './deps.ts';

export interface TemplateInput {
  name: string;
  body: string;
  defaultReplyPolicy?: ReplyPolicy | null;
}

export const templateView = (template: Template) => ({
  id: template.id,
  name: template.name,
  body: template.body,
  defaultReplyPolicy: template.defaultReplyPolicy,
  /** The variables the body uses, so a client can tell what a message will need. */
  variables: templateVariables(template.body),
  automationCount: template.automationCount,
  createdAt: template.createdAt,
  updatedAt: template.updatedAt,
});

/** Saves a template (the "star" on a message); an unknown or malformed variable is refused, nothing saved. */
export const createTemplate = async (deps: Deps, actor: PractitionerActor, input: TemplateInput) => {
  validateTemplateBody(input.body);
  const template = await deps.templates.create(
    {
      id: deps.ids.next(),
      practitionerId: actor.practitionerId,
      name: input.name,
      body: input.body,
      defaultReplyPolicy: input.defaultReplyPolicy ?? null,
      createdAt: deps.clock.now().toISOString(),
    },
    [addTo(deps.quotas, actor.practitionerId, 'templatesPerPractitioner')],
  );
  return templateView(template);
};

export const listTemplates = async (
  deps: Deps,
  actor: PractitionerActor,
  page: { limit: number; cursor?: string },
) => {
  const result = await deps.templates.list(actor.practitionerId, page);
  return { items: result.items.map(templateView), nextCursor: result.nextCursor };
};

export const getTemplate = async (deps: Deps, actor: PractitionerActor, templateId: string) =>
  templateView(await loadTemplate(deps, actor.practitionerId, templateId));

/** Replaces name, body and default reply policy; automations send the new text from then on. */
export const replaceTemplate = async (
  deps: Deps,
  actor: PractitionerActor,
  templateId: string,
  input: TemplateInput,
) => {
  validateTemplateBody(input.body);
  const template = await deps.templates.replace(
    actor.practitionerId,
    templateId,
    { name: input.name, body: input.body, defaultReplyPolicy: input.defaultReplyPolicy ?? null },
    deps.clock.now().toISOString(),
  );
  return templateView(template);
};

/** 409 CONFLICT while an automation sends it. */
export const deleteTemplate = (deps: Deps, actor: PractitionerActor, templateId: string) =>
  withRelease(removeFrom(deps.quotas, actor.practitionerId, 'templatesPerPractitioner'), (guards) =>
    deps.templates.delete(actor.practitionerId, templateId, guards),
  );

/** The message this template would send to this patient (about this appointment), without sending it. */
export const previewTemplate = async (
  deps: Deps,
  actor: PractitionerActor,
  templateId: string,
  input: { patientId: string; appointmentId?: string },
) => {
  const { practitionerId } = actor;
  const [template, settings, patient, appointment] = await Promise.all([
    loadTemplate(deps, practitionerId, templateId),
    deps.settings.get(practitionerId),
    deps.patients.get(practitionerId, input.patientId),
    input.appointmentId
      ? loadAppointmentFor(deps, practitionerId, input.appointmentId, input.patientId)
      : Promise.resolve(null),
  ]);
  if (!patient) throw new NotFound('Patient');
  return { body: renderForMessage(template.body, templateContext(patient, settings, appointment)) };
};
