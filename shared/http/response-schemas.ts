/**
 * The body shapes routes answer, by name; function declarations refer to them
 * per status (functions/<name>/function.ts `responses`).
 *
 * Only names at run time: the zod schemas themselves (shared/http/view-schemas.ts)
 * are imported by the OpenAPI generator and the tests, never by a Lambda bundle
 * (every byte counts: docs/adr/0014-response-schemas.md). Handlers see their
 * types: `httpRoute` checks at compile time that a handler returns, for each
 * status, what that status declares (shared/http/route.ts).
 */
import type * as z from '../validation.ts';
import type { ResponseSchemaName, responseSchemas } from './view-schemas.ts';

export type ResponseName = ResponseSchemaName;

/** The JSON body a named response has: the output of its schema. */
export type ResponseBody<N extends ResponseName> = z.output<(typeof responseSchemas)[N]>;

export const responses = {
  erasure: 'erasure',
  exportRequested: 'exportRequested',
  exportStatus: 'exportStatus',
  settings: 'settings',
  patientRecord: 'patientRecord',
  practitionerMessageCreated: 'practitionerMessageCreated',
  patientMessageCreated: 'patientMessageCreated',
  scheduledMessage: 'scheduledMessage',
  practitionerThreadList: 'practitionerThreadList',
  patientThreadList: 'patientThreadList',
  practitionerThreadWithMessages: 'practitionerThreadWithMessages',
  patientThreadWithMessages: 'patientThreadWithMessages',
  practitionerThreadOnly: 'practitionerThreadOnly',
  patientThreadOnly: 'patientThreadOnly',
  retractedMessage: 'retractedMessage',
  auditTrail: 'auditTrail',
  messagingAccess: 'messagingAccess',
  practitionerSummary: 'practitionerSummary',
  practitionerStats: 'practitionerStats',
  patientSummary: 'patientSummary',
  template: 'template',
  templateList: 'templateList',
  templatePreview: 'templatePreview',
  automation: 'automation',
  automationList: 'automationList',
  communication: 'communication',
  communicationList: 'communicationList',
  scheduledMessageList: 'scheduledMessageList',
  delegate: 'delegate',
  delegateList: 'delegateList',
  assistantPractitionerList: 'assistantPractitionerList',
  attachmentUpload: 'attachmentUpload',
  attachmentDownload: 'attachmentDownload',
  delegateNotifications: 'delegateNotifications',
} as const satisfies { readonly [N in ResponseName]: N };
