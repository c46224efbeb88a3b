/**
 * The body shapes routes answer, by name; function declarations refer to them
 * per status (functions/<name>/function.ts `responses`).
 *
 * TODO(issue 14, "a contract integrators can build on"): each name becomes the
 * zod schema the views are built with (shared/domain/views.ts). Until then they
 * all describe "a JSON object", which is what openapi.json says today.
 */
import * as z from '../validation.ts';

const jsonObject = z.looseObject({});

export const responses = {
  /** SPEC 11.6: `{status, erasedAt}` (the practitioner's also names the patient). */
  erasure: jsonObject,
  /** SPEC 11.6: 202 `{id, status}`; GET `{status, downloadUrl?, expiresAt?}`. */
  exportRequested: jsonObject,
  exportStatus: jsonObject,
  settings: jsonObject,
  patientRecord: jsonObject,
  practitionerMessageCreated: jsonObject,
  patientMessageCreated: jsonObject,
  scheduledMessage: jsonObject,
  practitionerThreadList: jsonObject,
  patientThreadList: jsonObject,
  practitionerThreadWithMessages: jsonObject,
  patientThreadWithMessages: jsonObject,
  practitionerThreadOnly: jsonObject,
  patientThreadOnly: jsonObject,
  retractedMessage: jsonObject,
  auditTrail: jsonObject,
  messagingAccess: jsonObject,
  practitionerSummary: jsonObject,
  patientSummary: jsonObject,
  template: jsonObject,
  templateList: jsonObject,
  templatePreview: jsonObject,
  automation: jsonObject,
  automationList: jsonObject,
  communication: jsonObject,
  communicationList: jsonObject,
  scheduledMessageList: jsonObject,
} as const;
