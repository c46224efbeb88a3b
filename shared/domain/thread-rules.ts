import { Conflict, Forbidden, ReplyNotAllowed, ThreadClosed } from './errors.ts';
import type { CounterDelta, Message, ReplyPolicy, Thread } from './types.ts';

/**
 * Pure thread transitions. Each returns the next thread state and the counter
 * changes it implies; the repository writes both in one transaction conditioned
 * on the thread version, so the counters can never drift from the threads.
 */
export interface Transition {
  thread: Thread;
  delta: CounterDelta;
}

const delta = (
  practitioner: Partial<CounterDelta['practitioner']> = {},
  patient: Partial<CounterDelta['patient']> = {},
): CounterDelta => ({
  practitioner: { untreatedMessages: 0, unreadThreads: 0, openThreads: 0, ...practitioner },
  patient: { unreadMessages: 0, ...patient },
});

const addDeltas = (a: CounterDelta, b: CounterDelta): CounterDelta =>
  delta(
    {
      untreatedMessages: a.practitioner.untreatedMessages + b.practitioner.untreatedMessages,
      unreadThreads: a.practitioner.unreadThreads + b.practitioner.unreadThreads,
      openThreads: a.practitioner.openThreads + b.practitioner.openThreads,
    },
    { unreadMessages: a.patient.unreadMessages + b.patient.unreadMessages },
  );

/** What decides whether the patient may write in a thread (also on the patient's list entries). */
export type ReplyState = Pick<Thread, 'status' | 'replyPolicy' | 'patientRepliesLeft'>;

/** Why the patient may not write in this thread, or null when they may. */
export const patientReplyRefusal = (thread: ReplyState): 'THREAD_CLOSED' | 'REPLY_NOT_ALLOWED' | null => {
  if (thread.status === 'closed') return 'THREAD_CLOSED';
  if (thread.replyPolicy === 'until_closed') return null;
  if (thread.replyPolicy === 'single' && thread.patientRepliesLeft > 0) return null;
  return 'REPLY_NOT_ALLOWED';
};

const repliesGranted = (policy: ReplyPolicy): number => (policy === 'single' ? 1 : 0);

export interface NewThreadInput {
  id: string;
  practitionerId: string;
  patientId: string;
  appointmentId: string | null;
  now: string;
}

const baseThread = (input: NewThreadInput): Thread => ({
  id: input.id,
  practitionerId: input.practitionerId,
  patientId: input.patientId,
  origin: 'patient',
  status: 'open',
  replyPolicy: 'until_closed',
  appointmentId: input.appointmentId,
  createdAt: input.now,
  lastMessageAt: input.now,
  treatedAt: null,
  untreatedCount: 0,
  unreadForPractitioner: 0,
  unreadForPatient: 0,
  patientRepliesLeft: 0,
  patientReadMarks: [],
  patientReadMarksSpilled: 0,
  practitionerReadAt: null,
  lastMessageId: null,
  lastPatientMessageId: null,
  archived: false,
  version: 0,
});

/** A patient request: the patient may keep writing in it while it is open. */
export const openPatientRequest = (input: NewThreadInput): Transition => ({
  thread: {
    ...baseThread(input),
    origin: 'patient',
    replyPolicy: 'until_closed',
    untreatedCount: 1,
    unreadForPractitioner: 1,
  },
  delta: delta({ untreatedMessages: 1, unreadThreads: 1, openThreads: 1 }),
});

export const openPractitionerThread = (input: NewThreadInput & { replyPolicy: ReplyPolicy }): Transition => ({
  thread: {
    ...baseThread(input),
    origin: 'practitioner',
    replyPolicy: input.replyPolicy,
    patientRepliesLeft: repliesGranted(input.replyPolicy),
    unreadForPatient: 1,
  },
  delta: delta({ openThreads: 1 }, { unreadMessages: 1 }),
});

/**
 * A group communication's thread, for one patient: it starts outside the
 * practitioner's inbox (`dormant`) and, when the patient may not answer
 * (`none`), closed — nobody has anything to do in it. Only the patient's unread
 * count moves: the practitioner's counters stay as they were (10,000 recipients
 * are not 10,000 open threads).
 */
export const openCommunicationThread = (
  input: NewThreadInput & { replyPolicy: ReplyPolicy; communicationId: string },
): Transition => ({
  thread: {
    ...baseThread(input),
    origin: 'practitioner',
    status: input.replyPolicy === 'none' ? 'closed' : 'open',
    replyPolicy: input.replyPolicy,
    patientRepliesLeft: repliesGranted(input.replyPolicy),
    unreadForPatient: 1,
    communicationId: input.communicationId,
    dormant: true,
  },
  delta: delta({}, { unreadMessages: 1 }),
});

/**
 * A dormant thread enters the practitioner's inbox with the first change that
 * concerns them (a patient's answer, their own message, a treat): from then on it
 * is an open thread like any other, counted in `openThreads`.
 */
const NO_CHANGE = delta();

const surface = (thread: Thread): Transition =>
  thread.dormant === true
    ? {
        thread: { ...thread, dormant: false },
        delta: delta({ openThreads: thread.status === 'open' ? 1 : 0 }),
      }
    : { thread, delta: NO_CHANGE };

export const addPatientMessage = (current: Thread, now: string): Transition => {
  const refusal = patientReplyRefusal(current);
  if (refusal === 'THREAD_CLOSED') throw new ThreadClosed();
  if (refusal === 'REPLY_NOT_ALLOWED') throw new ReplyNotAllowed();
  const { thread, delta: surfaced } = surface(current);
  return {
    thread: {
      ...thread,
      lastMessageAt: now,
      untreatedCount: thread.untreatedCount + 1,
      unreadForPractitioner: thread.unreadForPractitioner + 1,
      patientRepliesLeft:
        thread.replyPolicy === 'single' ? thread.patientRepliesLeft - 1 : thread.patientRepliesLeft,
      version: thread.version + 1,
    },
    delta: addDeltas(
      surfaced,
      delta({ untreatedMessages: 1, unreadThreads: thread.unreadForPractitioner === 0 ? 1 : 0 }),
    ),
  };
};

export const markTreated = (current: Thread, now: string): Transition => {
  if (current.status === 'closed') throw new ThreadClosed();
  const { thread, delta: surfaced } = surface(current);
  return {
    thread: { ...thread, status: 'closed', treatedAt: now, untreatedCount: 0, version: thread.version + 1 },
    delta: addDeltas(surfaced, delta({ untreatedMessages: 0 - thread.untreatedCount, openThreads: -1 })),
  };
};

/**
 * What the practitioner had seen when they asked to treat: the newest message
 * on their screen (`lastSeenMessageId`), or, without it, what they had read
 * (POST /read, or a reply: both count as a read).
 */
export type SeenUpTo = { lastSeenMessageId: string } | { lastRead: true };

export const seenUpTo = (lastSeenMessageId: string | undefined): SeenUpTo =>
  lastSeenMessageId === undefined ? { lastRead: true } : { lastSeenMessageId };

/**
 * Safe treat: may a treat (or a reply with markTreated) close the thread, given
 * what the practitioner had seen? `unseen` when a patient message is newer than
 * `lastSeenMessageId` — or, without it, arrived after their last read
 * (`unreadForPractitioner` counts exactly those; a thread never read counts all
 * of its patient messages). `unknown` for a thread written before
 * `lastPatientMessageId` was kept: the caller looks at the messages.
 */
export const unseenPatientMessages = (thread: Thread, seen: SeenUpTo): 'none' | 'unseen' | 'unknown' => {
  if ('lastRead' in seen) return thread.unreadForPractitioner > 0 ? 'unseen' : 'none';
  if (thread.lastPatientMessageId === undefined) return 'unknown';
  return thread.lastPatientMessageId !== null && thread.lastPatientMessageId > seen.lastSeenMessageId
    ? 'unseen'
    : 'none';
};

/** The thread as stored with a new message: the newest ids the safe treat and the id order rely on. */
export const recordMessage = (thread: Thread, message: Pick<Message, 'id' | 'sender'>): Thread => ({
  ...thread,
  lastMessageId: message.id,
  ...(message.sender === 'patient' && { lastPatientMessageId: message.id }),
});

export const readByPractitioner = (thread: Thread, now: string): Transition => ({
  thread: { ...thread, unreadForPractitioner: 0, practitionerReadAt: now, version: thread.version + 1 },
  delta: delta({ unreadThreads: thread.unreadForPractitioner > 0 ? -1 : 0 }),
});

/**
 * A practitioner answer: grants the patient the chosen reply policy, counts as the
 * practitioner having read the thread, and may mark it treated in the same write.
 */
export const addPractitionerMessage = (
  current: Thread,
  input: { replyPolicy: ReplyPolicy; markTreated: boolean; now: string },
): Transition => {
  if (current.status === 'closed') throw new ThreadClosed();
  const { thread, delta: surfaced } = surface(current);
  const read = readByPractitioner(thread, input.now);
  const answered: Transition = {
    thread: {
      ...read.thread,
      lastMessageAt: input.now,
      replyPolicy: input.replyPolicy,
      patientRepliesLeft: repliesGranted(input.replyPolicy),
      unreadForPatient: thread.unreadForPatient + 1,
    },
    delta: addDeltas(surfaced, addDeltas(read.delta, delta({}, { unreadMessages: 1 }))),
  };
  if (!input.markTreated) return answered;
  const treated = markTreated(answered.thread, input.now);
  return {
    thread: { ...treated.thread, version: thread.version + 1 },
    delta: addDeltas(answered.delta, treated.delta),
  };
};

/**
 * The patient's read marks on the thread item are bounded: at most `inline` of
 * them (the newest) stay there; a read that would keep more moves the oldest ones
 * to items of their own in the thread's partition (`keys.patientReadMark`), in
 * the read's transaction — at most `spillPerWrite` per write, so a thread written
 * with a longer list before the bound existed shrinks over its next reads. See
 * docs/adr/0007-bounded-read-receipts.md.
 */
export const PATIENT_READ_MARKS = { inline: 20, spillPerWrite: 10 } as const;

/**
 * Marks never decrease: a read stamped earlier than the newest mark (a clock
 * behind another instance's) counts at the newest mark. For "the first mark at or
 * after `sentAt`, in list order" this changes no answer (the first mark of a list
 * at or after t is also the first of its running maximum, and has the same value),
 * and it lets spilled marks be found by time. Applied to lists written before.
 */
export const nonDecreasingMarks = (marks: readonly string[]): string[] => {
  const out: string[] = [];
  for (const mark of marks) {
    const newest = out.at(-1);
    out.push(newest !== undefined && newest > mark ? newest : mark);
  }
  return out;
};

export const readByPatient = (thread: Thread, now: string): Transition => {
  if (thread.unreadForPatient === 0) {
    return { thread: { ...thread, version: thread.version + 1 }, delta: delta() };
  }
  const newest = thread.patientReadMarks.at(-1);
  const marks = [...thread.patientReadMarks, newest !== undefined && newest > now ? newest : now];
  const spill = Math.min(
    Math.max(0, marks.length - PATIENT_READ_MARKS.inline),
    PATIENT_READ_MARKS.spillPerWrite,
  );
  return {
    thread: {
      ...thread,
      unreadForPatient: 0,
      patientReadMarks: marks.slice(spill),
      patientReadMarksSpilled: thread.patientReadMarksSpilled + spill,
      version: thread.version + 1,
    },
    delta: delta({}, { unreadMessages: 0 - thread.unreadForPatient }),
  };
};

/** One read mark moved out of the thread item: its place in the thread's list of marks, and its time. */
export interface SpilledReadMark {
  seq: number;
  at: string;
}

/**
 * The marks a change moves out of the thread item (written in its transaction):
 * the oldest inline marks of `before`, numbered after those already moved.
 */
export const spilledByChange = (
  before: Pick<Thread, 'patientReadMarks' | 'patientReadMarksSpilled'> | null,
  after: Pick<Thread, 'patientReadMarksSpilled'>,
): SpilledReadMark[] => {
  const from = before?.patientReadMarksSpilled ?? 0;
  const moved = after.patientReadMarksSpilled - from;
  if (moved <= 0) return [];
  if (!before || moved > before.patientReadMarks.length) {
    throw new Error('A change can only move read marks the thread item held');
  }
  return before.patientReadMarks.slice(0, moved).map((at, i) => ({ seq: from + i, at }));
};

/** Every read mark of the thread, inline and spilled (the audit's "did the patient read"). */
export const patientReadCount = (thread: Pick<Thread, 'patientReadMarks' | 'patientReadMarksSpilled'>) =>
  thread.patientReadMarks.length + thread.patientReadMarksSpilled;

/**
 * The spilled marks some messages' receipts need: a practitioner message sent at
 * or before the oldest inline mark may have been read at a spilled one. `from`:
 * the oldest such message; `upTo`: the newest; `messages`: how many (between two
 * marks there is always a practitioner message — a mark is added only when one
 * was unread — so about that many marks answer them all). Null when the inline
 * marks decide every receipt (no extra read).
 */
export interface SpilledMarksNeeded {
  from: string;
  upTo: string;
  messages: number;
}

export const spilledMarksNeeded = (
  thread: Pick<Thread, 'patientReadMarks' | 'patientReadMarksSpilled'>,
  messages: readonly Pick<Message, 'sender' | 'sentAt'>[],
): SpilledMarksNeeded | null => {
  const oldestInline = thread.patientReadMarks[0];
  if (thread.patientReadMarksSpilled === 0 || oldestInline === undefined) return null;
  const sent = messages
    .filter((m) => m.sender === 'practitioner' && m.sentAt <= oldestInline)
    .map((m) => m.sentAt)
    .sort();
  const [from, upTo] = [sent[0], sent.at(-1)];
  return from !== undefined && upTo !== undefined ? { from, upTo, messages: sent.length } : null;
};

/**
 * Spilled marks as read for `need`: every spilled mark from `need.from` on, up to
 * the first one at or after `need.upTo` (or all of them), oldest first.
 */
export interface SpilledMarks {
  need: SpilledMarksNeeded;
  marks: readonly string[];
}

/**
 * When the patient read a practitioner message: the first read mark at or after
 * it was sent (marks never decrease). From the inline marks, unless the message is
 * older than all of them and marks were spilled: then from `spilled`, read for a
 * need covering it (spilledMarksNeeded) — without it the answer is unknown here,
 * and asking is a bug, not a guess.
 */
export const readByPatientAt = (
  thread: Pick<Thread, 'patientReadMarks' | 'patientReadMarksSpilled'>,
  message: Pick<Message, 'sender' | 'sentAt'>,
  spilled: SpilledMarks | null = null,
): string | null => {
  if (message.sender !== 'practitioner') return null;
  const inline = thread.patientReadMarks.find((mark) => mark >= message.sentAt) ?? null;
  if (inline === null || thread.patientReadMarksSpilled === 0 || inline !== thread.patientReadMarks[0]) {
    return inline;
  }
  if (!spilled || message.sentAt < spilled.need.from || message.sentAt > spilled.need.upTo) {
    throw new Error('This receipt needs the spilled read marks of its message (spilledMarksNeeded)');
  }
  return spilled.marks.find((mark) => mark >= message.sentAt) ?? inline;
};

/** Whether the patient has read this practitioner message: the newest mark is at or after it. */
export const isReadByPatient = (
  thread: Pick<Thread, 'patientReadMarks'>,
  message: Pick<Message, 'sentAt'>,
): boolean => {
  const newest = thread.patientReadMarks.at(-1);
  return newest !== undefined && newest >= message.sentAt;
};

export const isDeltaEmpty = (d: CounterDelta): boolean =>
  d.practitioner.untreatedMessages === 0 &&
  d.practitioner.unreadThreads === 0 &&
  d.practitioner.openThreads === 0 &&
  d.patient.unreadMessages === 0;

/**
 * Retracting a practitioner message the patient has not read: the thread's
 * unread count (and the patient's counter) lose it. A message is unread when no
 * patient read mark is at or after it: the newest mark, always inline, decides.
 */
export const retractPractitionerMessage = (
  thread: Thread,
  message: Pick<Message, 'sender' | 'sentAt'>,
): Transition => {
  if (message.sender !== 'practitioner') throw new Forbidden('Only your own messages can be retracted.');
  if (isReadByPatient(thread, message)) {
    throw new Conflict('The patient has already read this message; it can no longer be retracted.');
  }
  // Never below zero, even if a read mark and a send shared the same millisecond.
  const unread = Math.min(1, thread.unreadForPatient);
  return {
    thread: { ...thread, unreadForPatient: thread.unreadForPatient - unread, version: thread.version + 1 },
    delta: delta({}, { unreadMessages: 0 - unread }),
  };
};

/**
 * Archiving takes a closed thread out of the practitioner's lists (the index
 * keys go, the item stays: it is a health record). It counts as read, so the
 * unread badge keeps equalling the threads the practitioner can see.
 */
export const archiveThread = (thread: Thread, now: string): Transition => {
  if (thread.status !== 'closed') {
    throw new Conflict('Only a closed thread can be archived; mark it treated first.');
  }
  const read = readByPractitioner(thread, now);
  return {
    thread: {
      ...read.thread,
      practitionerReadAt: thread.unreadForPractitioner > 0 ? now : thread.practitionerReadAt,
      archived: true,
    },
    delta: read.delta,
  };
};
