/**
 * Every function of the service: its declaration (functions/<name>/function.ts) is the one place
 * that says what triggers it and what it may touch. The CDK stacks, the local stack and the OpenAPI
 * document all read this list; test/unit/catalog.test.ts checks every folder under functions/ is in it.
 */

import type { FunctionDeclaration } from '../shared/function-model/declaration.ts';
import { declaration as appointmentEvents } from './appointment-events/function.ts';
import { declaration as assistantListPractitioners } from './assistant-list-practitioners/function.ts';
import { declaration as assistantSetNotifications } from './assistant-set-notifications/function.ts';
import { declaration as attachmentChecker } from './attachment-checker/function.ts';
import { declaration as attachmentRemover } from './attachment-remover/function.ts';
import { declaration as attachmentScanResult } from './attachment-scan-result/function.ts';
import { declaration as auditShipper } from './audit-shipper/function.ts';
import { declaration as communicationFanout } from './communication-fanout/function.ts';
import { declaration as countersReconcile } from './counters-reconcile/function.ts';
import { declaration as dueWorkSweep } from './due-work-sweep/function.ts';
import { declaration as dueWorkWorker } from './due-work-worker/function.ts';
import { declaration as exportWorker } from './export-worker/function.ts';
import { declaration as inboxReopenSweep } from './inbox-reopen-sweep/function.ts';
import { declaration as methodNotAllowed } from './method-not-allowed/function.ts';
import { declaration as notifyPatient } from './notify-patient/function.ts';
import { declaration as notifyPractitioner } from './notify-practitioner/function.ts';
import { declaration as outboxPublisher } from './outbox-publisher/function.ts';
import { declaration as patientCreateAttachment } from './patient-create-attachment/function.ts';
import { declaration as patientEraseSelf } from './patient-erase-self/function.ts';
import { declaration as patientGetAttachment } from './patient-get-attachment/function.ts';
import { declaration as patientGetExport } from './patient-get-export/function.ts';
import { declaration as patientGetThread } from './patient-get-thread/function.ts';
import { declaration as patientListThreads } from './patient-list-threads/function.ts';
import { declaration as patientMessagingAccess } from './patient-messaging-access/function.ts';
import { declaration as patientReadThread } from './patient-read-thread/function.ts';
import { declaration as patientRequestExport } from './patient-request-export/function.ts';
import { declaration as patientStartThread } from './patient-start-thread/function.ts';
import { declaration as patientSummary } from './patient-summary/function.ts';
import { declaration as patientWrite } from './patient-write/function.ts';
import { declaration as practitionerAllowPatient } from './practitioner-allow-patient/function.ts';
import { declaration as practitionerAppointmentMessage } from './practitioner-appointment-message/function.ts';
import { declaration as practitionerArchiveThread } from './practitioner-archive-thread/function.ts';
import { declaration as practitionerAssignThread } from './practitioner-assign-thread/function.ts';
import { declaration as practitionerBlockPatient } from './practitioner-block-patient/function.ts';
import { declaration as practitionerCancelScheduledMessage } from './practitioner-cancel-scheduled-message/function.ts';
import { declaration as practitionerCreateAttachment } from './practitioner-create-attachment/function.ts';
import { declaration as practitionerCreateAutomation } from './practitioner-create-automation/function.ts';
import { declaration as practitionerCreateCommunication } from './practitioner-create-communication/function.ts';
import { declaration as practitionerCreateTemplate } from './practitioner-create-template/function.ts';
import { declaration as practitionerDeleteAutomation } from './practitioner-delete-automation/function.ts';
import { declaration as practitionerDeleteDelegate } from './practitioner-delete-delegate/function.ts';
import { declaration as practitionerDeleteTemplate } from './practitioner-delete-template/function.ts';
import { declaration as practitionerDisallowPatient } from './practitioner-disallow-patient/function.ts';
import { declaration as practitionerErasePatient } from './practitioner-erase-patient/function.ts';
import { declaration as practitionerGetAttachment } from './practitioner-get-attachment/function.ts';
import { declaration as practitionerGetCommunication } from './practitioner-get-communication/function.ts';
import { declaration as practitionerGetPatient } from './practitioner-get-patient/function.ts';
import { declaration as practitionerGetSettings } from './practitioner-get-settings/function.ts';
import { declaration as practitionerGetTemplate } from './practitioner-get-template/function.ts';
import { declaration as practitionerGetThread } from './practitioner-get-thread/function.ts';
import { declaration as practitionerListAutomations } from './practitioner-list-automations/function.ts';
import { declaration as practitionerListCommunications } from './practitioner-list-communications/function.ts';
import { declaration as practitionerListDelegates } from './practitioner-list-delegates/function.ts';
import { declaration as practitionerListScheduledMessages } from './practitioner-list-scheduled-messages/function.ts';
import { declaration as practitionerListTemplates } from './practitioner-list-templates/function.ts';
import { declaration as practitionerListThreads } from './practitioner-list-threads/function.ts';
import { declaration as practitionerPreviewTemplate } from './practitioner-preview-template/function.ts';
import { declaration as practitionerPutDelegate } from './practitioner-put-delegate/function.ts';
import { declaration as practitionerPutPatient } from './practitioner-put-patient/function.ts';
import { declaration as practitionerReadThread } from './practitioner-read-thread/function.ts';
import { declaration as practitionerReplaceTemplate } from './practitioner-replace-template/function.ts';
import { declaration as practitionerReply } from './practitioner-reply/function.ts';
import { declaration as practitionerRetractMessage } from './practitioner-retract-message/function.ts';
import { declaration as practitionerStartThread } from './practitioner-start-thread/function.ts';
import { declaration as practitionerStats } from './practitioner-stats/function.ts';
import { declaration as practitionerSummary } from './practitioner-summary/function.ts';
import { declaration as practitionerThreadAudit } from './practitioner-thread-audit/function.ts';
import { declaration as practitionerTreatThread } from './practitioner-treat-thread/function.ts';
import { declaration as practitionerUnblockPatient } from './practitioner-unblock-patient/function.ts';
import { declaration as practitionerUpdateSettings } from './practitioner-update-settings/function.ts';
import { declaration as realtimeAuthorizer } from './realtime-authorizer/function.ts';
import { declaration as realtimeConnect } from './realtime-connect/function.ts';
import { declaration as realtimeDisconnect } from './realtime-disconnect/function.ts';
import { declaration as realtimeNotify } from './realtime-notify/function.ts';
import { declaration as statsAggregate } from './stats-aggregate/function.ts';
import { declaration as untreatedIndex } from './untreated-index/function.ts';
import { declaration as untreatedSweep } from './untreated-sweep/function.ts';

export const FUNCTIONS: readonly FunctionDeclaration[] = [
  appointmentEvents,
  assistantListPractitioners,
  attachmentChecker,
  attachmentRemover,
  attachmentScanResult,
  assistantSetNotifications,
  auditShipper,
  communicationFanout,
  countersReconcile,
  dueWorkSweep,
  dueWorkWorker,
  exportWorker,
  inboxReopenSweep,
  methodNotAllowed,
  notifyPatient,
  notifyPractitioner,
  outboxPublisher,
  patientCreateAttachment,
  patientEraseSelf,
  patientGetExport,
  patientGetAttachment,
  patientGetThread,
  patientListThreads,
  patientMessagingAccess,
  patientReadThread,
  patientRequestExport,
  patientStartThread,
  patientSummary,
  patientWrite,
  practitionerAllowPatient,
  practitionerAppointmentMessage,
  practitionerArchiveThread,
  practitionerAssignThread,
  practitionerBlockPatient,
  practitionerCancelScheduledMessage,
  practitionerCreateAttachment,
  practitionerCreateAutomation,
  practitionerCreateCommunication,
  practitionerCreateTemplate,
  practitionerDeleteDelegate,
  practitionerDeleteAutomation,
  practitionerDeleteTemplate,
  practitionerDisallowPatient,
  practitionerErasePatient,
  practitionerGetAttachment,
  practitionerGetCommunication,
  practitionerGetPatient,
  practitionerGetSettings,
  practitionerGetTemplate,
  practitionerGetThread,
  practitionerListAutomations,
  practitionerListDelegates,
  practitionerListCommunications,
  practitionerListScheduledMessages,
  practitionerListTemplates,
  practitionerListThreads,
  practitionerPreviewTemplate,
  practitionerPutDelegate,
  practitionerPutPatient,
  practitionerReadThread,
  practitionerReplaceTemplate,
  practitionerReply,
  practitionerRetractMessage,
  practitionerStartThread,
  practitionerSummary,
  practitionerThreadAudit,
  practitionerTreatThread,
  practitionerUnblockPatient,
  practitionerUpdateSettings,
  practitionerStats,
  realtimeAuthorizer,
  realtimeConnect,
  realtimeDisconnect,
  realtimeNotify,
  statsAggregate,
  untreatedIndex,
  untreatedSweep,
];
