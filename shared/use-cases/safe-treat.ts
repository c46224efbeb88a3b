/**
 * Safe treat (SPEC 11.1): a treat, or a reply with `markTreated`, never closes a
 * thread over a patient message the practitioner has not seen.
 *
 * The rule (thread-rules.ts `unseenPatientMessages`) is checked on the thread
 * read, and the same condition goes into the write (ThreadChange.treatCondition,
 * see thread-repository.ts): a patient message that commits between that read
 * and the write fails the transaction, the optimistic retry reads the thread
 * again and this check then answers 409 THREAD_CHANGED. Nothing is written.
 */
import { ThreadChanged, ValidationError } from '../domain/errors.ts';
import { type SeenUpTo, unseenPatientMessages } from '../domain/thread-rules.ts';
import type { Thread } from '../domain/types.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { loadOwnedThread } from './threads-common.ts';

/**
 * The practitioner's thread, and the check that `lastSeenMessageId` is one of
 * its messages (a retracted one counts: its tombstone is on the page). An id the
 * thread does not hold is a client's mistake, not a change of the thread: 400
 * VALIDATION_ERROR on `lastSeenMessageId`, after the 404 of a thread that is not theirs.
 */
export const loadThreadToTreat = async (
  deps: Pick<Deps, 'threads'>,
  threadId: string,
  actor: PractitionerActor,
  seen: SeenUpTo,
): Promise<Thread> => {
  const [thread, seenMessage] = await Promise.all([
    loadOwnedThread(deps, threadId, actor),
    'lastSeenMessageId' in seen ? deps.threads.getMessage(threadId, seen.lastSeenMessageId) : null,
  ]);
  if ('lastSeenMessageId' in seen && !seenMessage) {
    throw new ValidationError('lastSeenMessageId is not a message of this thread', [
      { path: ['lastSeenMessageId'], message: 'Not a message of this thread' },
    ]);
  }
  return thread;
};

/** 409 THREAD_CHANGED with the ids of the patient messages not seen (oldest first), when there are any. */
export const assertNothingUnseen = async (
  deps: Pick<Deps, 'threads'>,
  thread: Thread,
  seen: SeenUpTo,
): Promise<void> => {
  const verdict = unseenPatientMessages(thread, seen);
  if (verdict === 'none') return;
  const newer = await deps.threads.newestPatientMessageIds(
    thread.id,
    'lastRead' in seen ? { count: thread.unreadForPractitioner } : { afterId: seen.lastSeenMessageId },
  );
  // `unknown` (a thread from before lastPatientMessageId) is decided by the messages themselves.
  if (newer.length > 0 || verdict === 'unseen') throw new ThreadChanged(newer);
};
