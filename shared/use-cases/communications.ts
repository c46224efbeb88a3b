/**
 * Group communications: POST stores the communication (`queued`) with its text
 * and publishes CommunicationRequested; the `communication-fanout` consumer then
 * runs ONE bounded chunk per invocation and hands the next one on by publishing
 * CommunicationChunkRequested (EventBridge self-chaining: no Lambda holds the
 * whole base, each chunk is retried on its own, no extra infrastructure).
 *
 *   each chunk  the next ≤ 264 patients of the audience (a segment pages until it
 *               has them); per patient the thread (its id derived from the
 *               communication and the patient: its own exactly-once marker) +
 *               its first message + the patient's unread count in one
 *               transaction, 33 patients a transaction and 8 transactions at
 *               once (the patients share no item); then ONE
 *               transaction advances the communication (position, counts) with
 *               the chunk's events (outbox) and its audit entry
 *   last chunk  done (or failed), total = sent + failed, CommunicationFinished
 *
 * Exactly-once: re-running a chunk (a retry, a duplicate delivery, a resume)
 * meets the threads it wrote and sends nobody a second message; their events
 * and counts commit with the advance, which only moves from the chunk that ran
 * (`chunkSeq`), so a chunk's counts and events commit once. A watchdog (due
 * work, every 5 minutes) resumes a fan-out that stopped moving (a lost event, a
 * chunk dead-lettered) and gives it up after 3 tries.
 *
 * The practitioner's counters and inbox are left alone: the threads are
 * `dormant` (thread-rules openCommunicationThread) until someone writes in them,
 * and closed from the start when the patient may not answer.
 */

import { CommunicationChunkRequested } from '../../events/communication-chunk-requested.ts';
import { CommunicationFinished } from '../../events/communication-finished.ts';
import { CommunicationRequested } from '../../events/communication-requested.ts';
import { MessageSent } from '../../events/message-sent.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import { keys } from '../db/keys.ts';
import { type TransactItem, withOptimisticRetry } from '../db/transactions.ts';
import { ATTACHMENT_LIMITS } from '../domain/attachments.ts';
import {
  type Communication,
  type CommunicationAudience,
  communicationWatchdogWorkId,
  FANOUT_POLICY,
  finalStatus,
} from '../domain/communications.ts';
import { addMs } from '../domain/due-work.ts';
import { DomainError, NotFound, ValidationError } from '../domain/errors.ts';
import { nextQuotaDayStart, quotaDay } from '../domain/quotas.ts';
import type { PractitionerSettings } from '../domain/settings.ts';
import { openCommunicationThread } from '../domain/thread-rules.ts';
import type { PatientRecord, ReplyPolicy } from '../domain/types.ts';
import {
  keepForRecipients,
  releaseFromCommunication,
  takeForCommunication,
} from '../repositories/communication-attachments.ts';
import { pauseCommunication, reserveChunkRecipients } from '../repositories/communication-repository.ts';
import {
  NothingToRelease,
  practitionerDayWindow,
  practitionerDayWindowGiveBack,
  practitionerDayWindowOpen,
  practitionerDayWindowRoom,
} from '../repositories/quota-repository.ts';
import { derivedId } from '../runtime/ids.ts';
import { logger, metrics } from '../runtime/logger.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import * as z from '../validation.ts';
import { loadTemplate, type MessageContent, renderForMessage, templateContext } from './compose-message.ts';
import { type Deps, needs, type PractitionerActor } from './deps.ts';
import { attachableRefs } from './message-attachments.ts';
import { newMessage } from './threads-common.ts';

export const communicationView = (communication: Communication) => ({
  id: communication.id,
  status: communication.status,
  audience: communication.audience,
  replyPolicy: communication.replyPolicy,
  templateId: communication.templateId,
  /** The files every recipient's message carries (shared: one item each, ADR 0016). */
  attachments: communication.attachments,
  /** null while sending: the audience is counted as it is sent. */
  total: communication.total,
  sent: communication.sent,
  failed: communication.failed,
  createdAt: communication.createdAt,
  startedAt: communication.startedAt,
  finishedAt: communication.finishedAt,
  failureReason: communication.failureReason,
  /** While the daily recipients quota holds it: when it resumes (the next Paris midnight); else null. */
  pausedUntil: communication.pausedUntil,
});

/** The practitioner's daily window of group-communication recipients (docs/adr/0011). */
const RECIPIENTS = 'communicationRecipientsPerPractitionerPerDay';

export interface CommunicationInput extends MessageContent {
  replyPolicy?: ReplyPolicy;
  audience: CommunicationAudience;
  /** ≤ 5 of the practitioner's clean, unused attachments: taken by the communication, on every message. */
  attachmentIds?: string[];
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
  const owner = { role: 'practitioner', id: practitionerId } as const;
  const [template, settings, attachments] = await Promise.all([
    input.templateId !== undefined ? loadTemplate(deps, practitionerId, input.templateId) : undefined,
    deps.settings.get(practitionerId),
    attachableRefs(deps, owner, input.attachmentIds),
  ]);
  const content = template?.body ?? input.body;
  if (content === undefined) throw new ValidationError('Give the message body or a templateId');
  renderForMessage(content, templateContext(SAMPLE_PATIENT, settings, null));

  const now = deps.clock.now().toISOString();
  const communication: Communication = {
    id: deps.ids.next(),
    practitionerId,
    status: 'queued',
    audience: input.audience,
    // A group message does not invite a thousand answers unless asked to.
    replyPolicy: input.replyPolicy ?? 'none',
    templateId: template?.id ?? null,
    attachments,
    total: null,
    sent: 0,
    failed: 0,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    failureReason: null,
    chunkSeq: 0,
    cursor: null,
    progressAt: now,
    pausedUntil: null,
    reservation: null,
  };
  const communications = needs(deps, 'communications');
  await communications.create(
    communication,
    content,
    [
      deps.dueWork.scheduleTransactItem(
        watchdogWork(communication, { check: 1, seenSeq: 0, stalls: 0 }, now),
        now,
      ),
      ...deps.outbox.items([
        event(CommunicationRequested, {
          communicationId: communication.id,
          practitionerId,
          requestedAt: now,
        }),
      ]),
    ],
    [
      // Its attachments, taken for all its recipients (a 400 like a message's attach when one cannot be).
      ...takeForCommunication(
        communications,
        owner,
        attachments.map((a) => a.id),
        communication,
      ),
      // Communications started this Paris day: 429 RATE_LIMITED past the stage's limit, nothing stored.
      practitionerDayWindow(
        deps.quotas,
        practitionerId,
        'communicationsPerPractitionerPerDay',
        1,
        deps.clock.now(),
      ),
      // Recipients today: none left, so none could be sent before midnight (RATE_LIMITED, nothing stored).
      practitionerDayWindowOpen(deps.quotas, practitionerId, RECIPIENTS, deps.clock.now()),
    ],
  );
  metrics.addMetric('CommunicationRequested', 'Count', 1);
  return communicationView(communication);
};

export const getCommunication = async (deps: Deps, actor: PractitionerActor, communicationId: string) => {
  const communication = await needs(deps, 'communications').get(actor.practitionerId, communicationId);
  if (!communication) throw new NotFound('Communication');
  return communicationView(communication);
};

export const listCommunications = async (
  deps: Deps,
  actor: PractitionerActor,
  page: { limit: number; cursor?: string },
) => {
  const result = await needs(deps, 'communications').list(actor.practitionerId, page);
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
  | { outcome: 'sent'; sent: number; failed: number; finished: boolean }
  /** Nothing to do: unknown, finished, a stale or duplicate delivery, or another delivery advanced first. */
  | { outcome: 'ignored'; reason: string }
  /** The daily recipients quota is used up: resumed by the watchdog at `until`. */
  | { outcome: 'paused'; until: string };

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

/** Hands the current chunk on again, with no change to commit (a lost hand-on, a stalled fan-out). */
const handOnAgain = (deps: Deps, communication: Communication, seq: number) =>
  deps.outbox.write([chunkRequested(communication, seq, deps.clock.now().toISOString())]);

/** The thread a communication writes for one patient (derived: a re-run finds it). */
export const communicationThreadId = (communicationId: string, patientId: string): string =>
  derivedId(communicationId, 'communication-thread', communicationId, patientId);

/** What one recipient came to: their thread (new, or written by an earlier run of the chunk), or a failure. */
type RecipientResult =
  | { outcome: 'sent'; threadId: string; messageId: string; patientId: string; at: string }
  | { outcome: 'failed'; patientId: string; reason: string };

/** ThreadStarted and MessageSent (→ notify-patient: "you have a new message from Dr X", once per message). */
const sentEvents = (
  communication: Communication,
  sent: Extract<RecipientResult, { outcome: 'sent' }>,
): PublishedEvent[] => [
  event(ThreadStarted, {
    threadId: sent.threadId,
    practitionerId: communication.practitionerId,
    patientId: sent.patientId,
    origin: 'practitioner',
    appointmentId: null,
    startedAt: sent.at,
  }),
  event(MessageSent, {
    threadId: sent.threadId,
    messageId: sent.messageId,
    practitionerId: communication.practitionerId,
    patientId: sent.patientId,
    replyPolicy: communication.replyPolicy,
    sentAt: sent.at,
  }),
];

/** A thread an earlier run of this chunk wrote: what it sent, for the events that run never committed. */
const alreadySent = async (deps: Deps, threadId: string, patientId: string): Promise<RecipientResult> => {
  const [thread, messageId] = await Promise.all([
    deps.threads.getThread(threadId),
    deps.threads.firstMessageId(threadId),
  ]);
  if (!thread || !messageId) throw new Error('A communication thread without its first message');
  return { outcome: 'sent', threadId, messageId, patientId, at: thread.createdAt };
};

/** The patient's personalised text, or why it cannot be sent (a code, never text). */
const render = (
  content: string,
  settings: PractitionerSettings,
  record: PatientRecord,
): { body: string } | { reason: string } => {
  try {
    return { body: renderForMessage(content, templateContext(record, settings, null)) };
  } catch (error) {
    if (error instanceof DomainError) return { reason: error.code };
    throw error;
  }
};

/**
 * Some patients' threads, in one transaction (ThreadRepository.createCommunicationThreads):
 * new ones are sent now, those an earlier run of the chunk wrote are named from
 * the database. Retried as a whole when a patient's counters were busy.
 */
const writeThreads = (
  deps: Deps,
  communication: Communication,
  recipients: ReadonlyArray<{ patientId: string; body: string }>,
): Promise<RecipientResult[]> =>
  withOptimisticRetry(async () => {
    const now = deps.clock.now().toISOString();
    const entries = recipients.map(({ patientId, body }) => {
      const created = openCommunicationThread({
        id: communicationThreadId(communication.id, patientId),
        practitionerId: communication.practitionerId,
        patientId,
        appointmentId: null,
        now,
        replyPolicy: communication.replyPolicy,
        communicationId: communication.id,
      });
      // The communication's attachments ride on the message item itself: no write per recipient for them.
      const message = newMessage(deps, created.thread, {
        sender: 'practitioner',
        body,
        sentAt: now,
        replyPolicy: communication.replyPolicy,
        ...(communication.attachments.length > 0 && { attachments: communication.attachments }),
      });
      return { ...created, message };
    });
    const outcome = await deps.threads.createCommunicationThreads(entries);
    return Promise.all(
      entries.map(({ thread, message }) =>
        outcome.get(thread.id) === 'created'
          ? ({
              outcome: 'sent',
              threadId: thread.id,
              messageId: message.id,
              patientId: thread.patientId,
              at: now,
            } as const)
          : alreadySent(deps, thread.id, thread.patientId),
      ),
    );
  });

/**
 * Patients of the chunk, in waves: each wave renders its texts and writes its
 * threads `recipientsPerTransaction` per transaction, all transactions at once
 * (the patients share no item). Blocked patients get it too (a practitioner may
 * always write); a patient without email gets the thread and no email. Stops
 * between waves when out of time.
 */
const sendToAll = async (
  deps: Deps,
  communication: Communication,
  content: string,
  settings: PractitionerSettings,
  records: readonly PatientRecord[],
  shouldContinue: () => boolean,
): Promise<RecipientResult[]> => {
  const { recipientsPerTransaction, transactionsInFlight } = FANOUT_POLICY;
  const wave = recipientsPerTransaction * transactionsInFlight;
  const results: RecipientResult[] = [];
  for (let i = 0; i < records.length; i += wave) {
    if (i > 0 && !shouldContinue()) break;
    const rendered = records
      .slice(i, i + wave)
      .map((record) => ({ record, text: render(content, settings, record) }));
    const toSend: Array<{ patientId: string; body: string }> = [];
    for (const { record, text } of rendered) {
      if ('reason' in text)
        results.push({ outcome: 'failed', patientId: record.patientId, reason: text.reason });
      else toSend.push({ patientId: record.patientId, body: text.body });
    }
    const groups: Array<typeof toSend> = [];
    for (let g = 0; g < toSend.length; g += recipientsPerTransaction) {
      groups.push(toSend.slice(g, g + recipientsPerTransaction));
    }
    for (const written of await Promise.all(
      groups.map((group) => writeThreads(deps, communication, group)),
    )) {
      results.push(...written);
    }
  }
  return results;
};

/** The chunk's entry in the practitioner's audit trail: which threads it wrote (ids only). */
const chunkAuditItems = (
  deps: Deps,
  communication: Communication,
  seq: number,
  results: readonly RecipientResult[],
): TransactItem[] => {
  const context = deps.auditContext;
  if (!context) return [];
  const sent = results.flatMap((r) => (r.outcome === 'sent' ? [r.threadId] : []));
  const entry = deps.audit.transactItem(
    {
      action: 'communication.sent',
      objects: { communicationId: communication.id, practitionerId: communication.practitionerId },
      details: {
        chunk: seq,
        sent: sent.length,
        failed: results.length - sent.length,
        threadIds: sent.join(','),
      },
      subject: { kind: 'practitioner', practitionerId: communication.practitionerId },
      actor: context.actor,
      at: deps.clock.now().toISOString(),
      requestId: context.requestId,
    },
    deps.ids.next(),
  );
  return [entry.item];
};

/** How many recipients chunk `seq` may send (and the day whose window they count in), or 'changed'. */
type Allowance = { count: number; day: string | null } | 'changed';

/**
 * Takes this chunk's recipients from the practitioner's daily window, at most once per chunk: the
 * take commits with the chunk's reservation on the communication (conditioned on the chunk), so a
 * re-run of the chunk (a retry, a duplicate delivery, a resume) reads the reservation instead of
 * taking again. Takes what is left when it is less than wanted (the rest waits for the next day);
 * 0 when nothing is left.
 */
const reserveRecipients = async (
  deps: Deps,
  communication: Communication,
  seq: number,
  wanted: number,
): Promise<Allowance> => {
  let current = communication;
  let ask = wanted;
  for (let attempt = 0; ; attempt++) {
    if (current.reservation?.seq === seq) return current.reservation;
    if (ask === 0) return { count: 0, day: null };
    const now = deps.clock.now();
    const day = quotaDay(now);
    try {
      const window = practitionerDayWindow(deps.quotas, current.practitionerId, RECIPIENTS, ask, now);
      const outcome = await withOptimisticRetry(() =>
        reserveChunkRecipients(
          needs(deps, 'communications'),
          current.practitionerId,
          current.id,
          seq,
          { count: ask, day },
          window,
        ),
      );
      if (outcome === 'reserved') return { count: ask, day };
      // Moved on, or another delivery of this chunk reserved first: re-read and use its reservation.
      const reread = await needs(deps, 'communications').get(current.practitionerId, current.id);
      if (!reread || reread.chunkSeq !== seq || reread.status === 'done' || reread.status === 'failed') {
        return 'changed';
      }
      current = reread;
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'RATE_LIMITED') || attempt >= 5) throw error;
      // Less room than wanted (or another communication took it meanwhile): take what is left.
      ask = Math.min(
        wanted,
        await practitionerDayWindowRoom(deps.quotas, current.practitionerId, RECIPIENTS, now),
      );
    }
  }
};

/**
 * The day's recipients are used up: the fan-out waits at this chunk until the next Paris midnight,
 * when its watchdog (due work) hands the chunk on again. The communication stays `sending` (or
 * `queued`) with `pausedUntil` in GET /communications/{id}.
 */
const pauseUntilNextDay = async (
  deps: Deps,
  communication: Communication,
  seq: number,
): Promise<ChunkOutcome> => {
  const until = nextQuotaDayStart(deps.clock.now()).toISOString();
  if (
    !(await pauseCommunication(
      needs(deps, 'communications'),
      communication.practitionerId,
      communication.id,
      seq,
      until,
    ))
  ) {
    return { outcome: 'ignored', reason: 'advanced-by-another-delivery' };
  }
  metrics.addMetric('CommunicationPaused', 'Count', 1);
  logger.info('Group communication paused: daily recipients quota used up', {
    communicationId: communication.id,
    chunkSeq: seq,
    pausedUntil: until,
  });
  return { outcome: 'paused', until };
};

const sendChunk = async (
  deps: Deps,
  communication: Communication,
  seq: number,
  options: ChunkOptions,
): Promise<ChunkOutcome> => {
  const { practitionerId, id: communicationId } = communication;
  const [content, settings, audience] = await Promise.all([
    needs(deps, 'communications').getContent(practitionerId, communicationId),
    deps.settings.get(practitionerId),
    deps.patients.audiencePage(practitionerId, audienceAttributes(communication.audience), {
      want: options.chunkSize ?? FANOUT_POLICY.chunkSize,
      maxPages: FANOUT_POLICY.segmentPagesPerChunk,
      startKey: communication.cursor,
    }),
  ]);
  if (content === null) throw new CommunicationMissing();

  const allowance = await reserveRecipients(deps, communication, seq, audience.records.length);
  if (allowance === 'changed') return { outcome: 'ignored', reason: 'advanced-by-another-delivery' };
  if (allowance.count === 0 && audience.records.length > 0)
    return pauseUntilNextDay(deps, communication, seq);

  const results = await sendToAll(
    deps,
    communication,
    content,
    settings,
    // The window's allowance, in base order: the cursor below then starts the next chunk after the last one done.
    audience.records.slice(0, allowance.count),
    options.shouldContinue ?? (() => true),
  );
  const sent = results.filter((r) => r.outcome === 'sent');
  const failed = results.filter((r) => r.outcome === 'failed');
  const now = deps.clock.now().toISOString();
  if (failed.length > 0) {
    await needs(deps, 'communications').recordFailures(
      failed.map((f) => ({
        communicationId,
        practitionerId,
        patientId: f.patientId,
        outcome: 'failed',
        threadId: null,
        messageId: null,
        replyPolicy: null,
        reason: f.reason,
        at: now,
      })),
    );
    metrics.addMetric('CommunicationRecipientFailed', 'Count', failed.length);
    logger.warn('Group communication recipients not sent', { communicationId, failed: failed.length });
  }
  metrics.addMetric('CommunicationRecipientSent', 'Count', sent.length);

  // Out of time: the next chunk starts right after the last patient done here (waves keep base order).
  const last = audience.records[results.length - 1];
  const cursor =
    results.length < audience.records.length && last
      ? { ...keys.patientRecord(practitionerId, last.patientId) }
      : audience.cursor;
  // Read with the chunk, and only a chunk's advance moves them: exact.
  const counts = { sent: communication.sent + sent.length, failed: communication.failed + failed.length };
  const events = sent.flatMap((r) => sentEvents(communication, r));
  const status = cursor === null ? finalStatus(counts) : null;
  const failureReason = status === 'failed' ? 'ALL_RECIPIENTS_FAILED' : null;
  // Taken for the chunk but not used (cut short by its time budget): given back with the advance, once.
  const unused = allowance.count - results.length;
  let giveBack =
    unused > 0 && allowance.day
      ? [practitionerDayWindowGiveBack(deps.quotas, practitionerId, RECIPIENTS, allowance.day, unused)]
      : [];
  const advance = () =>
    needs(deps, 'communications').advance(
      practitionerId,
      communicationId,
      seq,
      {
        cursor,
        now,
        start: communication.status === 'queued',
        ...counts,
        ...(status && { finish: { status, failureReason } }),
      },
      [
        ...deps.outbox.items([
          ...events,
          status
            ? event(CommunicationFinished, {
                communicationId,
                practitionerId,
                status,
                total: counts.sent + counts.failed,
                ...counts,
                failureReason,
                finishedAt: now,
              })
            : chunkRequested(communication, seq + 1, now),
        ]),
        ...chunkAuditItems(deps, communication, seq, results),
      ],
      giveBack,
    );
  const advanced = await advance().catch((error: unknown) => {
    // The day's window item is gone (TTL, a chunk retried days later): nothing to give back to.
    if (!(error instanceof NothingToRelease)) throw error;
    giveBack = [];
    return advance();
  });
  if (!advanced) return { outcome: 'ignored', reason: 'advanced-by-another-delivery' };
  if (status) metrics.addMetric(status === 'done' ? 'CommunicationDone' : 'CommunicationFailed', 'Count', 1);
  return { outcome: 'sent', sent: sent.length, failed: failed.length, finished: status !== null };
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
  const communication = await needs(deps, 'communications').get(
    request.practitionerId,
    request.communicationId,
  );
  if (!communication) return { outcome: 'ignored', reason: 'unknown' };
  if (communication.status === 'done' || communication.status === 'failed') {
    return { outcome: 'ignored', reason: 'finished' };
  }
  if (request.seq === communication.chunkSeq - 1) {
    await handOnAgain(deps, communication, communication.chunkSeq);
    return { outcome: 'ignored', reason: 'handed-on-again' };
  }
  if (request.seq !== communication.chunkSeq) return { outcome: 'ignored', reason: 'stale' };
  // Held by the daily recipients quota: a delivery before its time does nothing (the watchdog resumes it).
  if (communication.pausedUntil !== null && deps.clock.now().toISOString() < communication.pausedUntil) {
    return { outcome: 'ignored', reason: 'paused' };
  }
  return sendChunk(deps, communication, request.seq, options);
};

// --- its attachments, once it finished ----------------------------------------------------------

export type SettleOutcome = 'none' | 'kept' | 'released';

/**
 * CommunicationFinished (the fan-out's own consumer, at least once): the attachments it took are kept
 * as long as the last recipient's message when anyone received it; when nobody did (every recipient
 * failed, an empty audience, given up before the first send) they are released — the practitioner may
 * send them again — and the usual expiry deletes them a day later if nothing takes them. Safe to repeat.
 */
export const settleCommunicationAttachments = async (
  deps: Deps,
  request: { practitionerId: string; communicationId: string; finishedAt: string },
): Promise<SettleOutcome> => {
  const communications = needs(deps, 'communications');
  const communication = await communications.get(request.practitionerId, request.communicationId);
  if (!communication || communication.attachments.length === 0) return 'none';
  const ids = communication.attachments.map((a) => a.id);
  const finishedAt = communication.finishedAt ?? request.finishedAt;
  if (communication.sent > 0) {
    await keepForRecipients(communications, communication.id, ids, finishedAt);
    return 'kept';
  }
  const now = deps.clock.now().toISOString();
  let released = 0;
  for (const attachmentId of ids) {
    const done = await releaseFromCommunication(communications, communication.id, attachmentId, now, [
      deps.dueWork.scheduleTransactItem(
        {
          workId: `attachment-expiry-${attachmentId}-${communication.id}`,
          kind: 'attachment-expiry',
          payload: { attachmentId },
          dueAt: addMs(now, ATTACHMENT_LIMITS.unusedMs),
        },
        now,
      ),
    ]);
    if (done) released++;
  }
  // A repeat (at-least-once delivery) finds them released already.
  if (released > 0) {
    logger.info('Group communication reached nobody: its attachments released', {
      communicationId: communication.id,
      released,
    });
  }
  return 'released';
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
  /** When the check is due (default: the interval from now). */
  dueAt: string = addMs(now, FANOUT_POLICY.watchdogIntervalMs),
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
  dueAt,
});

export type WatchdogOutcome = 'finished' | 'progressing' | 'resumed' | 'given-up' | 'paused';

/**
 * A fan-out paused by the daily recipients quota is not stalled: before its time, the next check
 * is set at `pausedUntil`; at its time the chunk is handed on again (the resume), no stall counted.
 */
const watchPaused = async (
  deps: Deps,
  communication: Communication & { pausedUntil: string },
  check: number,
  now: string,
): Promise<WatchdogOutcome> => {
  const waiting = now < communication.pausedUntil;
  if (!waiting) {
    metrics.addMetric('CommunicationResumed', 'Count', 1);
    await handOnAgain(deps, communication, communication.chunkSeq);
  }
  await deps.dueWork.schedule(
    watchdogWork(
      communication,
      { check: check + 1, seenSeq: communication.chunkSeq, stalls: 0 },
      now,
      waiting ? communication.pausedUntil : undefined,
    ),
    now,
  );
  return waiting ? 'paused' : 'resumed';
};

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
  const communication = await needs(deps, 'communications').get(
    payload.practitionerId,
    payload.communicationId,
  );
  if (!communication || communication.status === 'done' || communication.status === 'failed') {
    return 'finished';
  }
  const now = deps.clock.now().toISOString();
  if (communication.pausedUntil !== null) {
    return watchPaused(
      deps,
      { ...communication, pausedUntil: communication.pausedUntil },
      Number(payload.check),
      now,
    );
  }
  const moved = communication.chunkSeq > Number(payload.seenSeq);
  const stalls = moved ? 0 : Number(payload.stalls) + 1;
  if (stalls > FANOUT_POLICY.maxStalls) {
    const givenUp = await needs(deps, 'communications').giveUp(
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
