/**
 * Group communications: POST stores the communication (`queued`) with its text
 * and publishes CommunicationRequested; the `communication-fanout` consumer then
 * runs ONE bounded chunk per invocation and hands the next one on by publishing
 * CommunicationChunkRequested (EventBridge self-chaining: no Lambda holds the
 * whole base, each chunk is retried on its own, no extra infrastructure).
 *
 *   chunk 0…k   counting: Query COUNT pages of the patient base (segment filter)
 *   chunk k+1…  sending: one Query page of ≤ 50 records; per patient ONE
 *               transaction = the practitioner thread + message + counters +
 *               an exactly-once marker (COMM#<id> / RCPT#<patientId>, Put if
 *               absent) + `sent` +1 on the communication
 *   last chunk  done (or failed), total = sent + failed, CommunicationFinished
 *
 * Exactly-once: re-running any chunk (a retry, a duplicate delivery, a resume)
 * meets the markers and sends nobody a second message; the counts move in the
 * markers' transactions, so they are exact too. The position in the base and
 * the chunk number live on the communication item and only move with a
 * condition on the chunk that ran, so two deliveries of a chunk hand on once.
 * A watchdog (due work, every 5 minutes) resumes a fan-out that stopped moving
 * (a lost event, a chunk dead-lettered) and gives it up after 3 tries.
 */

import { CommunicationChunkRequested } from '../../events/communication-chunk-requested.ts';
import { CommunicationFinished } from '../../events/communication-finished.ts';
import { CommunicationRequested } from '../../events/communication-requested.ts';
import { MessageSent } from '../../events/message-sent.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import { keys } from '../db/keys.ts';
import {
  type Communication,
  type CommunicationAudience,
  type CommunicationRecipient,
  communicationWatchdogWorkId,
  FANOUT_POLICY,
  finalStatus,
} from '../domain/communications.ts';
import { addMs } from '../domain/due-work.ts';
import { DomainError, NotFound, NotInPatientBase, ValidationError } from '../domain/errors.ts';
import type { PractitionerSettings } from '../domain/settings.ts';
import type { PatientRecord, ReplyPolicy } from '../domain/types.ts';
import { logger, metrics } from '../runtime/logger.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import * as z from '../validation.ts';
import { loadTemplate, type MessageContent, renderForMessage, templateContext } from './compose-message.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { commitNewPractitionerThread } from './threads-common.ts';

export const communicationView = (communication: Communication) => ({
  id: communication.id,
  status: communication.status,
  audience: communication.audience,
  replyPolicy: communication.replyPolicy,
  templateId: communication.templateId,
  /** null while the audience is being counted. */
  total: communication.total,
  sent: communication.sent,
  failed: communication.failed,
  createdAt: communication.createdAt,
  startedAt: communication.startedAt,
  finishedAt: communication.finishedAt,
  failureReason: communication.failureReason,
});

export interface CommunicationInput extends MessageContent {
  replyPolicy?: ReplyPolicy;
  audience: CommunicationAudience;
}

/** Names used only to check, before anything is stored, that the text renders for a patient. */
const SAMPLE_PATIENT = { firstName: 'Camille', lastName: 'Martin' };

const audienceAttributes = (audience: CommunicationAudience) =>
  'attributes' in audience ? audience.attributes : null;

/**
 * Stores the communication and publishes CommunicationRequested; answers at once
 * (202). The text — typed, or the template's at this moment — is personalised per
 * patient: `{{patient.firstName}}` etc. work in a typed text too. It is checked
 * now against what every recipient will have (no appointment, the practitioner's
 * display name), so a text that could reach nobody is a 422 before anything is
 * stored; the per-patient render happens during the fan-out.
 */
export const createCommunication = async (
  deps: Deps,
  actor: PractitionerActor,
  input: CommunicationInput,
) => {
  const { practitionerId } = actor;
  const [template, settings] = await Promise.all([
    input.templateId !== undefined ? loadTemplate(deps, practitionerId, input.templateId) : undefined,
    deps.settings.get(practitionerId),
  ]);
  const content = template?.body ?? input.body;
  if (content === undefined) throw new ValidationError('Give the message body or a templateId');
  renderForMessage(content, templateContext(SAMPLE_PATIENT, settings, null));

  const now = deps.clock.now().toISOString();
  const communication: Communication = {
    id: deps.ids.next(),
    practitionerId,
    status: 'queued',
    phase: 'counting',
    audience: input.audience,
    // A group message does not invite a thousand answers unless asked to.
    replyPolicy: input.replyPolicy ?? 'none',
    templateId: template?.id ?? null,
    total: null,
    sent: 0,
    failed: 0,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    failureReason: null,
    chunkSeq: 0,
    cursor: null,
    counted: 0,
    progressAt: now,
  };
  await deps.communications.create(communication, content, [
    deps.dueWork.scheduleTransactItem(
      watchdogWork(communication, { check: 1, seenSeq: 0, stalls: 0 }, now),
      now,
    ),
    ...deps.outbox.items([
      event(CommunicationRequested, { communicationId: communication.id, practitionerId, requestedAt: now }),
    ]),
  ]);
  metrics.addMetric('CommunicationRequested', 'Count', 1);
  return communicationView(communication);
};

export const getCommunication = async (deps: Deps, actor: PractitionerActor, communicationId: string) => {
  const communication = await deps.communications.get(actor.practitionerId, communicationId);
  if (!communication) throw new NotFound('Communication');
  return communicationView(communication);
};

export const listCommunications = async (
  deps: Deps,
  actor: PractitionerActor,
  page: { limit: number; cursor?: string },
) => {
  const result = await deps.communications.list(actor.practitionerId, page);
  return { items: result.items.map(communicationView), nextCursor: result.nextCursor };
};

// --- the fan-out worker ---------------------------------------------------------------------------

export interface ChunkRequest {
  practitionerId: string;
  communicationId: string;
  seq: number;
}

export interface ChunkOptions {
  /** Asked before each recipient after the first: false hands the rest of the chunk on (time budget). */
  shouldContinue?: () => boolean;
  chunkSize?: number;
}

export type ChunkOutcome =
  | { outcome: 'counted'; counted: number; countingDone: boolean }
  | { outcome: 'sent'; sent: number; failed: number; already: number; finished: boolean }
  /** Nothing to do: unknown, finished, a stale or duplicate delivery, or another delivery advanced first. */
  | { outcome: 'ignored'; reason: string };

class RecipientAlreadyProcessed extends Error {
  override readonly name = 'RecipientAlreadyProcessed';
}

class CommunicationMissing extends Error {
  override readonly name = 'CommunicationMissing';
}

const chunkRequested = (
  communication: Pick<Communication, 'id' | 'practitionerId'>,
  seq: number,
  now: string,
) =>
  event(CommunicationChunkRequested, {
    communicationId: communication.id,
    practitionerId: communication.practitionerId,
    seq,
    requestedAt: now,
  });

/** The next chunk's request, to commit with the advance that makes it the current one. */
const handOnItems = (deps: Deps, communication: Communication, seq: number) =>
  deps.outbox.items([chunkRequested(communication, seq, deps.clock.now().toISOString())]);

/** Hands the current chunk on again, with no change to commit (a lost hand-on, a stalled fan-out). */
const handOnAgain = (deps: Deps, communication: Communication, seq: number) =>
  deps.outbox.write([chunkRequested(communication, seq, deps.clock.now().toISOString())]);

const _sentEvents = (
  recipient: Pick<CommunicationRecipient, 'practitionerId' | 'patientId'>,
  sent: { threadId: string; messageId: string; replyPolicy: ReplyPolicy; at: string },
  withThreadStarted: boolean,
): PublishedEvent[] => [
  ...(withThreadStarted
    ? [
        event(ThreadStarted, {
          threadId: sent.threadId,
          practitionerId: recipient.practitionerId,
          patientId: recipient.patientId,
          origin: 'practitioner',
          appointmentId: null,
          startedAt: sent.at,
        }),
      ]
    : []),
  // → notify-patient: "you have a new message from Dr X", once per message.
  event(MessageSent, {
    threadId: sent.threadId,
    messageId: sent.messageId,
    practitionerId: recipient.practitionerId,
    patientId: recipient.patientId,
    replyPolicy: sent.replyPolicy,
    sentAt: sent.at,
  }),
];

type RecipientResult = { result: 'sent' | 'failed' | 'already' };

const recordFailure = async (
  deps: Deps,
  communication: Communication,
  patientId: string,
  reason: string,
): Promise<RecipientResult> => {
  const recorded = await deps.communications.recordFailure({
    communicationId: communication.id,
    practitionerId: communication.practitionerId,
    patientId,
    outcome: 'failed',
    threadId: null,
    messageId: null,
    replyPolicy: null,
    reason,
    at: deps.clock.now().toISOString(),
  });
  return { result: recorded === 'recorded' ? 'failed' : 'already' };
};

/**
 * One patient: their own practitioner thread with the personalised message, or
 * a recorded failure (reason code only). Blocked patients get it too (a
 * practitioner may always write); a patient without email gets the thread and
 * no email. Safe to repeat: the marker decides.
 */
const sendToRecipient = async (
  deps: Deps,
  communication: Communication,
  content: string,
  settings: PractitionerSettings,
  record: PatientRecord,
): Promise<RecipientResult> => {
  const { practitionerId, id: communicationId, replyPolicy } = communication;
  const { patientId } = record;
  let body: string;
  try {
    body = renderForMessage(content, templateContext(record, settings, null));
  } catch (error) {
    if (error instanceof DomainError) return recordFailure(deps, communication, patientId, error.code);
    throw error;
  }
  try {
    // The thread's ThreadStarted and MessageSent commit with it (the outbox): nothing to publish here.
    await commitNewPractitionerThread(
      deps,
      { practitionerId, patientId, appointmentId: null, body, replyPolicy },
      ({ thread, message }) => [
        {
          item: deps.communications.recipientItem({
            communicationId,
            practitionerId,
            patientId,
            outcome: 'sent',
            threadId: thread.id,
            messageId: message.id,
            replyPolicy,
            reason: null,
            at: message.sentAt,
          }),
          onConditionFailed: () => new RecipientAlreadyProcessed(),
        },
        {
          item: deps.communications.countItem(practitionerId, communicationId, 'sent'),
          onConditionFailed: () => new CommunicationMissing(),
        },
      ],
    );
    return { result: 'sent' };
  } catch (error) {
    // A re-run: that patient's message and its events committed the first time.
    if (error instanceof RecipientAlreadyProcessed) return { result: 'already' };
    if (error instanceof NotInPatientBase) {
      return recordFailure(deps, communication, patientId, 'NOT_IN_PATIENT_BASE');
    }
    throw error;
  }
};

const countChunk = async (deps: Deps, communication: Communication, seq: number): Promise<ChunkOutcome> => {
  const { count, lastKey } = await deps.patients.countBase(
    communication.practitionerId,
    audienceAttributes(communication.audience),
    { maxPages: FANOUT_POLICY.countPagesPerChunk, startKey: communication.cursor },
  );
  const advanced = await deps.communications.advance(
    communication.practitionerId,
    communication.id,
    seq,
    {
      cursor: lastKey,
      now: deps.clock.now().toISOString(),
      start: communication.status === 'queued',
      counted: count,
      countingDone: lastKey === null,
    },
    handOnItems(deps, communication, seq + 1),
  );
  if (!advanced) return { outcome: 'ignored', reason: 'advanced-by-another-delivery' };
  return { outcome: 'counted', counted: count, countingDone: lastKey === null };
};

const sendChunk = async (
  deps: Deps,
  communication: Communication,
  seq: number,
  options: ChunkOptions,
): Promise<ChunkOutcome> => {
  const { practitionerId, id: communicationId } = communication;
  const shouldContinue = options.shouldContinue ?? (() => true);
  const [content, settings, page] = await Promise.all([
    deps.communications.getContent(practitionerId, communicationId),
    deps.settings.get(practitionerId),
    deps.patients.basePage(practitionerId, audienceAttributes(communication.audience), {
      limit: options.chunkSize ?? FANOUT_POLICY.chunkSize,
      startKey: communication.cursor,
    }),
  ]);
  if (content === null) throw new CommunicationMissing();

  const tally = { sent: 0, failed: 0, already: 0 };
  let lastDone: Record<string, string> | null = null;
  let processed = 0;
  // One recipient after the other: each transaction updates the practitioner's counters and this
  // communication's, and concurrent transactions on one item conflict (see FANOUT_POLICY.chunkSize).
  for (const record of page.records) {
    if (lastDone !== null && !shouldContinue()) break;
    const { result } = await sendToRecipient(deps, communication, content, settings, record);
    tally[result]++;
    lastDone = { ...keys.patientRecord(practitionerId, record.patientId) };
    processed++;
  }
  metrics.addMetric('CommunicationRecipientSent', 'Count', tally.sent);
  if (tally.failed > 0) {
    metrics.addMetric('CommunicationRecipientFailed', 'Count', tally.failed);
    logger.warn('Group communication recipients not sent', { communicationId, failed: tally.failed });
  }

  const now = deps.clock.now().toISOString();
  // Out of time: the next chunk starts right after the last patient done here.
  const cursor = processed < page.records.length ? lastDone : page.lastKey;
  if (cursor === null) {
    const counts = await deps.communications.get(practitionerId, communicationId);
    const status = finalStatus(counts ?? tally);
    const failureReason = status === 'failed' ? 'ALL_RECIPIENTS_FAILED' : null;
    const sent = counts?.sent ?? tally.sent;
    const failed = counts?.failed ?? tally.failed;
    const finished = await deps.communications.advance(
      practitionerId,
      communicationId,
      seq,
      { cursor: null, now, start: communication.status === 'queued', finish: { status, failureReason } },
      deps.outbox.items([
        event(CommunicationFinished, {
          communicationId,
          practitionerId,
          status,
          total: sent + failed,
          sent,
          failed,
          failureReason,
          finishedAt: now,
        }),
      ]),
    );
    if (!finished) return { outcome: 'ignored', reason: 'advanced-by-another-delivery' };
    metrics.addMetric(status === 'done' ? 'CommunicationDone' : 'CommunicationFailed', 'Count', 1);
    return { outcome: 'sent', ...tally, finished: true };
  }
  const advanced = await deps.communications.advance(
    practitionerId,
    communicationId,
    seq,
    { cursor, now, start: communication.status === 'queued' },
    handOnItems(deps, communication, seq + 1),
  );
  if (!advanced) return { outcome: 'ignored', reason: 'advanced-by-another-delivery' };
  return { outcome: 'sent', ...tally, finished: false };
};

/**
 * Runs chunk `seq` of a communication (CommunicationRequested = chunk 0). A
 * delivery of the chunk just before the current one hands the current one on
 * again (its first hand-on may have been lost); any other stale or duplicate
 * delivery does nothing.
 */
export const runCommunicationChunk = async (
  deps: Deps,
  request: ChunkRequest,
  options: ChunkOptions = {},
): Promise<ChunkOutcome> => {
  const communication = await deps.communications.get(request.practitionerId, request.communicationId);
  if (!communication) return { outcome: 'ignored', reason: 'unknown' };
  if (communication.status === 'done' || communication.status === 'failed') {
    return { outcome: 'ignored', reason: 'finished' };
  }
  if (request.seq === communication.chunkSeq - 1) {
    await handOnAgain(deps, communication, communication.chunkSeq);
    return { outcome: 'ignored', reason: 'handed-on-again' };
  }
  if (request.seq !== communication.chunkSeq) return { outcome: 'ignored', reason: 'stale' };
  return communication.phase === 'counting'
    ? countChunk(deps, communication, request.seq)
    : sendChunk(deps, communication, request.seq, options);
};

// --- the watchdog ---------------------------------------------------------------------------------

/** Payload of the `communication-watchdog` due-work kind (strings: due-work payloads are ids). */
export const communicationWatchdogSchema = z.strictObject({
  practitionerId: z.string().check(z.minLength(1)),
  communicationId: z.string().check(z.minLength(1)),
  check: z.string().check(z.regex(/^\d+$/)),
  /** The chunk number the previous check saw. */
  seenSeq: z.string().check(z.regex(/^\d+$/)),
  /** Consecutive checks that found no progress. */
  stalls: z.string().check(z.regex(/^\d+$/)),
});

const watchdogWork = (
  communication: Pick<Communication, 'id' | 'practitionerId'>,
  state: { check: number; seenSeq: number; stalls: number },
  now: string,
) => ({
  workId: communicationWatchdogWorkId(communication.practitionerId, communication.id, state.check),
  kind: 'communication-watchdog' as const,
  payload: {
    practitionerId: communication.practitionerId,
    communicationId: communication.id,
    check: String(state.check),
    seenSeq: String(state.seenSeq),
    stalls: String(state.stalls),
  },
  dueAt: addMs(now, FANOUT_POLICY.watchdogIntervalMs),
});

export type WatchdogOutcome = 'finished' | 'progressing' | 'resumed' | 'given-up';

/**
 * Every 5 minutes while a communication is in progress: if its chunk number has
 * not moved since the last check, publish the current chunk again (chunks are
 * safe to repeat); after FANOUT_POLICY.maxStalls such resumes without progress,
 * give it up (status failed, STALLED) so it never hangs in `sending`.
 */
export const checkCommunicationProgress = async (
  deps: Deps,
  payload: z.infer<typeof communicationWatchdogSchema>,
): Promise<WatchdogOutcome> => {
  const communication = await deps.communications.get(payload.practitionerId, payload.communicationId);
  if (!communication || communication.status === 'done' || communication.status === 'failed') {
    return 'finished';
  }
  const now = deps.clock.now().toISOString();
  const moved = communication.chunkSeq > Number(payload.seenSeq);
  const stalls = moved ? 0 : Number(payload.stalls) + 1;
  if (stalls > FANOUT_POLICY.maxStalls) {
    const givenUp = await deps.communications.giveUp(
      communication.practitionerId,
      communication.id,
      communication.chunkSeq,
      'STALLED',
      now,
      // The counts as read: the chunk condition guarantees no chunk moved them since.
      deps.outbox.items([
        event(CommunicationFinished, {
          communicationId: communication.id,
          practitionerId: communication.practitionerId,
          status: 'failed',
          total: communication.sent + communication.failed,
          sent: communication.sent,
          failed: communication.failed,
          failureReason: 'STALLED',
          finishedAt: now,
        }),
      ]),
    );
    if (givenUp) {
      metrics.addMetric('CommunicationFailed', 'Count', 1);
      logger.error('Group communication given up: its fan-out stopped moving', {
        communicationId: communication.id,
        chunkSeq: communication.chunkSeq,
      });
      return 'given-up';
    }
  }
  if (!moved) {
    metrics.addMetric('CommunicationResumed', 'Count', 1);
    logger.warn('Group communication resumed by its watchdog', {
      communicationId: communication.id,
      chunkSeq: communication.chunkSeq,
      stalls,
    });
    await handOnAgain(deps, communication, communication.chunkSeq);
  }
  await deps.dueWork.schedule(
    watchdogWork(
      communication,
      { check: Number(payload.check) + 1, seenSeq: communication.chunkSeq, stalls },
      now,
    ),
    now,
  );
  return moved ? 'progressing' : 'resumed';
};
