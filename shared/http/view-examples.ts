/**
 * A realistic answer for every response schema (shared/http/view-schemas.ts):
 * the examples of the OpenAPI document. Typed by the schemas, and parsed with
 * them by test/unit/response-schemas.test.ts, so they cannot drift. Made-up
 * people only.
 */

import { EMERGENCY_NOTICE } from '../domain/views.ts';
import type * as z from '../validation.ts';
import type { ResponseSchemaName, responseSchemas } from './view-schemas.ts';

type Examples = { readonly [N in ResponseSchemaName]: z.output<(typeof responseSchemas)[N]> };

const PRACTITIONER = 'prac-7f3c2a';
const PATIENT = 'pat-51d0e9';
const THREAD = '01JD8Z6Q4T5V8W2XKJ3M9N0P1R';
const APPOINTMENT = 'appt-2024-05-14-1430';
const TEMPLATE = '01JD8YW2C1H7Q3R5S6T7U8V9W0';

const practitionerThread = {
  id: THREAD,
  practitionerId: PRACTITIONER,
  patientId: PATIENT,
  origin: 'patient',
  status: 'open',
  replyPolicy: 'until_closed',
  appointmentId: null,
  createdAt: '2024-05-13T08:12:40.512Z',
  lastMessageAt: '2024-05-13T09:30:02.118Z',
  treatedAt: null,
  archived: false,
  untreatedCount: 2,
  unread: true,
  unreadCount: 2,
} as const satisfies Examples['practitionerThreadOnly']['thread'];

const patientThread = {
  id: THREAD,
  practitionerId: PRACTITIONER,
  patientId: PATIENT,
  origin: 'patient',
  status: 'open',
  replyPolicy: 'until_closed',
  appointmentId: null,
  createdAt: '2024-05-13T08:12:40.512Z',
  lastMessageAt: '2024-05-13T09:30:02.118Z',
  treatedAt: null,
  unread: false,
  unreadCount: 0,
  canReply: true,
  replyBlockedReason: null,
  replyBlockedMessage: null,
} as const satisfies Examples['patientThreadOnly']['thread'];

const practitionerMessage = {
  id: '01JD8ZB3N6P7Q8R9S0T1V2W3X4',
  threadId: THREAD,
  sender: 'practitioner',
  body: 'Bonjour, vous pouvez continuer le traitement encore 5 jours. Bonne journée.',
  retracted: false,
  sentAt: '2024-05-13T10:05:44.907Z',
  attachments: [
    {
      id: '01JD8ZB1A2B3C4D5E6F7G8H9J0',
      fileName: 'facture-consultation.pdf',
      contentType: 'application/pdf',
      size: 48213,
    },
  ],
  replyPolicy: 'single',
  readByPatientAt: null,
} as const satisfies Examples['practitionerMessageCreated']['message'];

const patientMessage = {
  id: '01JD8Z9K2M3N4P5Q6R7S8T9V0W',
  threadId: THREAD,
  sender: 'patient',
  body: 'Bonjour docteur, la fièvre est tombée mais je tousse encore. Dois-je continuer le sirop ?',
  retracted: false,
  sentAt: '2024-05-13T09:30:02.118Z',
  attachments: [],
} as const satisfies Examples['patientMessageCreated']['message'];

const settings = {
  displayName: 'Dr Claire Martin',
  email: 'cabinet.martin@example.org',
  timezone: 'Europe/Paris',
  defaultReplyPolicy: 'single',
  inboxOpen: true,
  absenceMessage: null,
  reopensAt: null,
  whoCanStartRequests: 'allowed_patients',
  allowedAttributes: ['primaryCare', 'chronic'],
  sameDayCooldown: true,
  patientAttachments: false,
  notifications: { mode: 'threshold', threshold: 4, email: 'cabinet.martin@example.org' },
} as const satisfies Examples['settings'];

const template = {
  id: TEMPLATE,
  name: 'Rappel bilan annuel',
  body: 'Bonjour {{patient.firstName}}, {{practitioner.name}} vous rappelle votre bilan le {{appointment.date}} à {{appointment.time}}.',
  defaultReplyPolicy: 'none',
  variables: ['patient.firstName', 'practitioner.name', 'appointment.date', 'appointment.time'],
  automationCount: 1,
  createdAt: '2024-04-02T14:21:09.004Z',
  updatedAt: '2024-04-20T07:45:31.660Z',
} as const satisfies Examples['template'];

const automation = {
  id: '01JD8YX5D2J8R4S6T7U8V9W0X1',
  trigger: 'appointment_completed',
  motive: 'Bilan annuel',
  templateId: TEMPLATE,
  replyPolicy: 'single',
  delayMinutes: 120,
  createdAt: '2024-04-20T07:46:12.337Z',
} as const satisfies Examples['automation'];

const communication = {
  id: '01JD8Z0A1B2C3D4E5F6G7H8J9K',
  status: 'done',
  audience: { attributes: ['chronic', 'ald'] },
  replyPolicy: 'none',
  templateId: null,
  attachments: [
    {
      id: '01JD8YZ9K4M5N6P7Q8R9S0T1V2',
      fileName: 'vaccination-grippe.pdf',
      contentType: 'application/pdf',
      size: 48213,
    },
  ],
  total: 184,
  sent: 183,
  failed: 1,
  createdAt: '2024-05-06T07:00:00.000Z',
  startedAt: '2024-05-06T07:00:01.214Z',
  finishedAt: '2024-05-06T07:01:37.905Z',
  failureReason: null,
  pausedUntil: null,
} as const satisfies Examples['communication'];

const scheduledMessage = {
  id: '01JD8ZC7F8G9H0J1K2M3N4P5Q6',
  status: 'scheduled',
  kind: 'reply',
  sendAt: '2024-05-15T07:30:00.000Z',
  patientId: PATIENT,
  threadId: THREAD,
  appointmentId: null,
  replyPolicy: 'single',
  body: 'Bonjour, avez-vous pu faire la prise de sang ?',
  templateId: null,
  createdAt: '2024-05-13T10:07:18.552Z',
  messageId: null,
  sentAt: null,
  cancelledAt: null,
  refusedAt: null,
  refusalReason: null,
  refusalDetails: null,
} as const satisfies Examples['scheduledMessage'];

const delegate = {
  assistantId: 'asst-3b8e41',
  displayName: 'Sophie (secrétariat)',
  scopes: ['inbox', 'patients'],
  notify: true,
  createdAt: '2024-05-02T08:00:00.000Z',
  updatedAt: '2024-05-02T08:00:00.000Z',
} as const satisfies Examples['delegate'];

/** One week of practitioner statistics: the example range is that single week, so its total is the same. */
const STATS_WEEK = {
  requestsReceived: 42,
  requestsTreated: 38,
  medianHoursToTreat: 20,
  p90HoursToTreat: 61,
  treatedWithin48hShare: 0.84,
  openBacklog: 4,
  oldestOpenDay: '2024-05-09',
};
export const responseExamples: Examples = {
  settings,
  patientRecord: {
    patientId: PATIENT,
    firstName: 'Lucas',
    lastName: 'Bernard',
    email: 'lucas.bernard@example.net',
    attributes: {
      primaryCare: true,
      ald: false,
      chronic: true,
      pregnancyFollowUp: false,
      needsSupport: false,
    },
    blocked: false,
    allowed: true,
    createdAt: '2023-11-08T16:02:55.781Z',
    updatedAt: '2024-05-02T09:14:20.036Z',
  },
  practitionerMessageCreated: {
    thread: {
      ...practitionerThread,
      replyPolicy: 'single',
      lastMessageAt: practitionerMessage.sentAt,
      untreatedCount: 0,
      unread: false,
      unreadCount: 0,
    },
    message: practitionerMessage,
  },
  patientMessageCreated: { thread: patientThread, message: patientMessage, notice: EMERGENCY_NOTICE },
  scheduledMessage,
  practitionerThreadList: {
    items: [
      practitionerThread,
      {
        ...practitionerThread,
        id: '01JD7A1B2C3D4E5F6G7H8J9K0M',
        patientId: 'pat-9a4be2',
        origin: 'practitioner',
        status: 'closed',
        replyPolicy: 'none',
        appointmentId: APPOINTMENT,
        createdAt: '2024-05-10T15:40:00.120Z',
        lastMessageAt: '2024-05-10T15:40:00.120Z',
        treatedAt: '2024-05-10T15:40:00.120Z',
        untreatedCount: 0,
        unread: false,
        unreadCount: 0,
      },
    ],
    nextCursor: 'eyJrIjoiVEhSRUFEIzAxSkQ3QTFCMkMzRDRFNUY2RzdIOEo5SzBNIn0',
  },
  patientThreadList: { items: [patientThread], nextCursor: null, notice: EMERGENCY_NOTICE },
  practitionerThreadWithMessages: {
    thread: practitionerThread,
    messages: [
      {
        id: '01JD8Z6Q4T5V8W2XKJ3M9N0P1S',
        threadId: THREAD,
        sender: 'patient',
        body: 'Bonjour docteur, j’ai de la fièvre depuis hier soir (38,7 °C).',
        retracted: false,
        sentAt: '2024-05-13T08:12:40.512Z',
        attachments: [],
      },
      {
        id: '01JD8Z7R5V6W7X8Y9Z0A1B2C3D',
        threadId: THREAD,
        sender: 'practitioner',
        retracted: true,
        retractedAt: '2024-05-13T08:31:19.870Z',
        sentAt: '2024-05-13T08:30:05.442Z',
        replyPolicy: 'until_closed',
        readByPatientAt: null,
      },
      patientMessage,
    ],
    nextCursor: null,
  },
  patientThreadWithMessages: {
    thread: patientThread,
    messages: [
      {
        id: '01JD8Z6Q4T5V8W2XKJ3M9N0P1S',
        threadId: THREAD,
        sender: 'patient',
        body: 'Bonjour docteur, j’ai de la fièvre depuis hier soir (38,7 °C).',
        retracted: false,
        sentAt: '2024-05-13T08:12:40.512Z',
        attachments: [],
      },
      patientMessage,
    ],
    nextCursor: null,
    notice: EMERGENCY_NOTICE,
  },
  practitionerThreadOnly: {
    thread: {
      ...practitionerThread,
      status: 'closed',
      treatedAt: '2024-05-13T10:06:00.021Z',
      untreatedCount: 0,
    },
  },
  patientThreadOnly: { thread: patientThread, notice: EMERGENCY_NOTICE },
  retractedMessage: {
    thread: { ...practitionerThread, untreatedCount: 0, unread: false, unreadCount: 0 },
    message: {
      id: practitionerMessage.id,
      threadId: THREAD,
      sender: 'practitioner',
      retracted: true,
      retractedAt: '2024-05-13T10:06:31.402Z',
      sentAt: practitionerMessage.sentAt,
      replyPolicy: 'single',
      readByPatientAt: null,
    },
  },
  auditTrail: {
    items: [
      {
        at: '2024-05-13T09:30:02.118Z',
        action: 'message.sent',
        actor: { role: 'patient', id: PATIENT },
        requestId: 'c1a7e0f2-6b1d-4f58-9a1e-3d2b7c4e5f60',
        objects: { threadId: THREAD, messageId: patientMessage.id },
      },
      {
        at: '2024-05-13T10:06:00.021Z',
        action: 'thread.treated',
        actor: { role: 'practitioner', id: PRACTITIONER },
        requestId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
        objects: { threadId: THREAD },
        details: { untreatedCount: 2 },
      },
    ],
    nextCursor: null,
  },
  messagingAccess: {
    practitionerId: PRACTITIONER,
    canStartRequest: false,
    reason: 'MESSAGING_CLOSED',
    message: 'Le cabinet est fermé jusqu’au 20 mai. En cas de besoin, contactez le secrétariat.',
    details: { reopensAt: '2024-05-20T06:00:00.000Z' },
    notice: EMERGENCY_NOTICE,
  },
  practitionerSummary: { untreatedMessages: 5, unreadThreads: 3, openThreads: 12 },
  practitionerStats: {
    from: '2024-05-06',
    to: '2024-05-12',
    timeZone: 'Europe/Paris',
    total: STATS_WEEK,
    weeks: [{ weekStart: '2024-05-06', ...STATS_WEEK }],
  },
  patientSummary: { unreadMessages: 1 },
  template,
  templateList: { items: [template], nextCursor: null },
  templatePreview: {
    body: 'Bonjour Lucas, Dr Claire Martin vous rappelle votre bilan le mardi 14 mai 2024 à 14h30.',
  },
  automation,
  automationList: { items: [automation], nextCursor: null },
  communication,
  communicationList: {
    items: [
      {
        ...communication,
        id: '01JD9A2B3C4D5E6F7G8H9J0K1M',
        status: 'sending',
        audience: { all: true },
        total: null,
        sent: 40,
        failed: 0,
        finishedAt: null,
        createdAt: '2024-05-13T07:00:00.000Z',
        startedAt: '2024-05-13T07:00:00.842Z',
        // The daily recipients quota was used up: it resumes at the next Paris midnight.
        pausedUntil: '2024-05-13T22:00:00.000Z',
      },
      communication,
    ],
    nextCursor: null,
  },
  scheduledMessageList: {
    items: [
      scheduledMessage,
      {
        ...scheduledMessage,
        id: '01JD8ZD8G9H0J1K2M3N4P5Q6R7',
        status: 'sent',
        kind: 'new-thread',
        sendAt: '2024-05-12T07:30:00.000Z',
        patientId: 'pat-9a4be2',
        threadId: '01JD8A9B8C7D6E5F4G3H2J1K0M',
        appointmentId: APPOINTMENT,
        body: null,
        templateId: TEMPLATE,
        createdAt: '2024-05-10T15:41:10.006Z',
        messageId: '01JD8A9B8C7D6E5F4G3H2J1K0N',
        sentAt: '2024-05-12T07:30:00.512Z',
      },
    ],
    nextCursor: null,
  },
  delegate,
  delegateList: { items: [delegate], nextCursor: null },
  assistantPractitionerList: {
    items: [
      {
        practitionerId: PRACTITIONER,
        displayName: delegate.displayName,
        scopes: delegate.scopes,
        notify: delegate.notify,
      },
    ],
    nextCursor: null,
  },
  delegateNotifications: { practitionerId: PRACTITIONER, notify: true, verifiedAddress: true },
  erasure: { patientId: PATIENT, status: 'erased', erasedAt: '2024-05-14T08:00:00.125Z' },
  exportRequested: { id: '01JD9C4D5E6F7G8H9J0K1M2N3P', status: 'pending' },
  exportStatus: {
    status: 'ready',
    downloadUrl:
      'https://exports.example.com/exports/pat-7f3c91/01JD9C4D5E6F7G8H9J0K1M2N3P.json?X-Amz-Expires=900',
    expiresAt: '2024-05-14T08:15:02.000Z',
  },
  attachmentUpload: {
    id: '01JD8ZB1A2B3C4D5E6F7G8H9J0',
    uploadUrl:
      'https://attachments.example.com/attachments/01JD8ZB1A2B3C4D5E6F7G8H9J0?X-Amz-Expires=900&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost',
    uploadHeaders: { 'Content-Type': 'application/pdf', 'Content-Length': '48213' },
    expiresAt: '2024-05-13T10:15:00.000Z',
  },
  attachmentDownload: {
    downloadUrl: 'https://attachments.example.com/attachments/01JD8ZB1A2B3C4D5E6F7G8H9J0?X-Amz-Expires=300',
    expiresAt: '2024-05-13T10:10:00.000Z',
  },
};
