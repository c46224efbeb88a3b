/**
 * The live inbox (SPEC 11.4, docs/adr/0017-realtime-and-stats.md): who is told what when a thread
 * changes. Notifications are content-free — a type, a thread id, counts — so a socket never carries
 * what the REST API guards; clients read the change through the REST API.
 *
 * Both parties of the thread are concerned by every change to it: each gets the notification on
 * every live connection, and the one whose sidebar counts moved also gets `summary` (the same body
 * as GET /summary). Connections that API Gateway says are gone (410) are removed on the way.
 *
 * The practitioner side of a thread is the practice: the practitioner and every assistant they delegate
 * `inbox` to (ADR 0015) get the same frames, each with `practitionerId` for an assistant (who may work
 * for several practices). The grants are read at each event, so a revocation holds from the next one.
 */
import type { PatientCounters, PractitionerCounters } from '../domain/types.ts';
import type { ConnectedRole, ConnectionRepository } from '../repositories/connection-repository.ts';
import type { CountersRepository } from '../repositories/counters-repository.ts';
import type { Clock } from '../runtime/clock.ts';

export type NotificationType = 'message.new' | 'message.read' | 'thread.updated' | 'summary';

/** What goes on the socket: ids and counts only, never a message's text or a name. */
export interface RealtimeNotification {
  type: NotificationType;
  threadId?: string;
  /** On an assistant's frames only: whose inbox moved. */
  practitionerId?: string;
  summary?: PractitionerCounters | PatientCounters;
}

/** Posts one frame to one connection (the API Gateway Management API, or the local stack's twin of it). */
export interface ConnectionPoster {
  post(connectionId: string, data: string): Promise<'sent' | 'gone'>;
}

export interface RealtimeDeps {
  clock: Clock;
  connections: ConnectionRepository;
  counters: Pick<CountersRepository, 'practitioner' | 'patient'>;
  poster: ConnectionPoster;
}

export interface Recipient {
  role: ConnectedRole;
  userId: string;
}

export interface Delivery {
  connections: number;
  sent: number;
  removed: number;
}

/** The thread's two parties, as every thread event names them. */
export interface ThreadChange {
  threadId: string;
  practitionerId: string;
  patientId: string;
}

/** A `summary` frame's body, read at most once per event however many connections need it. */
type SummaryReader = () => Promise<PractitionerCounters | PatientCounters>;

const once = <T>(read: () => Promise<T>): (() => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read();
    return pending;
  };
};

const summaryReaderOf = (deps: RealtimeDeps, recipient: Recipient): SummaryReader => {
  const { role, userId } = recipient;
  if (role === 'patient') return () => deps.counters.patient(userId);
  if (role === 'practitioner') return () => deps.counters.practitioner(userId);
  // An assistant has no counters of their own: their summary is the practice's (notifyPractice).
  throw new Error('An assistant has no summary of their own');
};

/**
 * Every notification to every live connection of one user (one Query); gone connections are removed.
 * `withSummary` adds the user's `summary` (or, as a function, the body to send), read only when they have
 * a connection (most changes reach nobody online). `tag` is added to every frame (an assistant's
 * `practitionerId`).
 */
export const notifyUser = async (
  deps: RealtimeDeps,
  recipient: Recipient,
  notifications: readonly RealtimeNotification[],
  options: { withSummary?: boolean | SummaryReader; tag?: Pick<RealtimeNotification, 'practitionerId'> } = {},
): Promise<Delivery> => {
  const connections = await deps.connections.list(recipient.role, recipient.userId, deps.clock.now());
  const delivery: Delivery = { connections: connections.length, sent: 0, removed: 0 };
  if (connections.length === 0) return delivery;
  const { withSummary, tag } = options;
  const readSummary =
    typeof withSummary === 'function' ? withSummary : withSummary ? summaryReaderOf(deps, recipient) : null;
  const all: RealtimeNotification[] = [
    ...notifications,
    ...(readSummary ? [{ type: 'summary' as const, summary: await readSummary() }] : []),
  ];
  const frames = all.map(({ type, ...rest }) => JSON.stringify({ type, ...tag, ...rest }));
  await Promise.all(
    connections.map(async ({ connectionId }) => {
      for (const frame of frames) {
        if ((await deps.poster.post(connectionId, frame)) === 'gone') {
          await deps.connections.remove(recipient.role, recipient.userId, connectionId);
          delivery.removed += 1;
          return;
        }
        delivery.sent += 1;
      }
    }),
  );
  return delivery;
};

/** What one delivery to the practice reached: the practitioner, and each assistant by id. */
export interface PracticeDelivery {
  practitioner: Delivery;
  assistants: Record<string, Delivery>;
}

/**
 * The practitioner side of a change: the practitioner's connections, and those of every assistant who
 * holds `inbox` on this practice (one Query of the grants, then one Query per such assistant). They get
 * the same frames, tagged with `practitionerId` for the assistants; the practice's summary is read once.
 */
export const notifyPractice = async (
  deps: RealtimeDeps,
  change: Pick<ThreadChange, 'practitionerId' | 'threadId'>,
  type: NotificationType,
  withSummary: boolean,
): Promise<PracticeDelivery> => {
  const { practitionerId } = change;
  const notification: RealtimeNotification = { type, threadId: change.threadId };
  const summary = withSummary ? once(() => deps.counters.practitioner(practitionerId)) : false;
  const [practitioner, assistantIds] = await Promise.all([
    notifyUser(deps, { role: 'practitioner', userId: practitionerId }, [notification], {
      withSummary: summary,
    }),
    deps.connections.inboxAssistantsOf(practitionerId),
  ]);
  const deliveries = await Promise.all(
    assistantIds.map((userId) =>
      notifyUser(deps, { role: 'assistant', userId }, [notification], {
        withSummary: summary,
        tag: { practitionerId },
      }),
    ),
  );
  return {
    practitioner,
    assistants: Object.fromEntries(assistantIds.map((id, i) => [id, deliveries[i] as Delivery])),
  };
};

type Party = 'practitioner' | 'patient';

/** `type` to each party (the practitioner's side being the practice), with their `summary` when the change moved their counts. */
const notifyBoth = async (
  deps: RealtimeDeps,
  change: ThreadChange,
  types: Readonly<Record<Party, NotificationType>>,
  countsMovedFor: readonly Party[],
) => {
  const [practice, patient] = await Promise.all([
    notifyPractice(deps, change, types.practitioner, countsMovedFor.includes('practitioner')),
    notifyUser(
      deps,
      { role: 'patient', userId: change.patientId },
      [{ type: types.patient, threadId: change.threadId }],
      { withSummary: countsMovedFor.includes('patient') },
    ),
  ]);
  return { practitioner: practice.practitioner, assistants: practice.assistants, patient };
};

/** A patient's message reached the inbox: `message.new` + summary to the practice, `thread.updated` to the patient's devices. */
export const onMessageReceived = (deps: RealtimeDeps, change: ThreadChange) =>
  notifyBoth(deps, change, { practitioner: 'message.new', patient: 'thread.updated' }, ['practitioner']);

/** A practitioner's message reached the patient: `message.new` + summary to the patient, `thread.updated` to the practice. */
export const onMessageSent = (deps: RealtimeDeps, change: ThreadChange) =>
  notifyBoth(deps, change, { practitioner: 'thread.updated', patient: 'message.new' }, ['patient']);

/** Messages were read: `message.read` to both (a read receipt for the writer); the reader's counts moved. */
export const onMessagesRead = (deps: RealtimeDeps, change: ThreadChange & { reader: Party }) =>
  notifyBoth(deps, change, { practitioner: 'message.read', patient: 'message.read' }, [change.reader]);

/** Treated: the practice's untreated count moved. */
export const onThreadTreated = (deps: RealtimeDeps, change: ThreadChange) =>
  notifyBoth(deps, change, { practitioner: 'thread.updated', patient: 'thread.updated' }, ['practitioner']);

/**
 * Archived, or a message retracted: the thread looks different to both. A retracted message was unread
 * by the patient (only those can be retracted): their count moved.
 */
export const onThreadUpdated = (deps: RealtimeDeps, change: ThreadChange, countsMovedFor: readonly Party[]) =>
  notifyBoth(deps, change, { practitioner: 'thread.updated', patient: 'thread.updated' }, countsMovedFor);
