/**
 * The live inbox (SPEC 11.4, docs/adr/0017-realtime-and-stats.md): who is told what when a thread
 * changes. Notifications are content-free — a type, a thread id, counts — so a socket never carries
 * what the REST API guards; clients read the change through the REST API.
 *
 * Both parties of the thread are concerned by every change to it: each gets the notification on
 * every live connection, and the one whose sidebar counts moved also gets `summary` (the same body
 * as GET /summary). Connections that API Gateway says are gone (410) are removed on the way.
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
interface ThreadChange {
  threadId: string;
  practitionerId: string;
  patientId: string;
}

const practitionerOf = (change: ThreadChange): Recipient => ({
  role: 'practitioner',
  userId: change.practitionerId,
});
const patientOf = (change: ThreadChange): Recipient => ({ role: 'patient', userId: change.patientId });

const summaryOf = async (deps: RealtimeDeps, recipient: Recipient): Promise<RealtimeNotification> => ({
  type: 'summary',
  summary:
    recipient.role === 'practitioner'
      ? await deps.counters.practitioner(recipient.userId)
      : await deps.counters.patient(recipient.userId),
});

/**
 * Every notification to every live connection of one user (one Query); gone connections are removed.
 * `withSummary` adds the user's `summary`, read only when they have a connection (most changes reach
 * nobody online).
 */
export const notifyUser = async (
  deps: RealtimeDeps,
  recipient: Recipient,
  notifications: readonly RealtimeNotification[],
  options: { withSummary?: boolean } = {},
): Promise<Delivery> => {
  const connections = await deps.connections.list(recipient.role, recipient.userId, deps.clock.now());
  const delivery: Delivery = { connections: connections.length, sent: 0, removed: 0 };
  if (connections.length === 0) return delivery;
  const frames = [...notifications, ...(options.withSummary ? [await summaryOf(deps, recipient)] : [])].map(
    (notification) => JSON.stringify(notification),
  );
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

/** `type` to each party, with their `summary` when the change moved their counts. */
const notifyBoth = async (
  deps: RealtimeDeps,
  change: ThreadChange,
  types: Readonly<Record<ConnectedRole, NotificationType>>,
  countsMovedFor: readonly ConnectedRole[],
) => {
  const [practitioner, patient] = await Promise.all(
    [practitionerOf(change), patientOf(change)].map((recipient) =>
      notifyUser(deps, recipient, [{ type: types[recipient.role], threadId: change.threadId }], {
        withSummary: countsMovedFor.includes(recipient.role),
      }),
    ),
  );
  return { practitioner, patient };
};

/** A patient's message reached the inbox: `message.new` + summary to the practice, `thread.updated` to the patient's devices. */
export const onMessageReceived = (deps: RealtimeDeps, change: ThreadChange) =>
  notifyBoth(deps, change, { practitioner: 'message.new', patient: 'thread.updated' }, ['practitioner']);

/** A practitioner's message reached the patient: `message.new` + summary to the patient, `thread.updated` to the practice. */
export const onMessageSent = (deps: RealtimeDeps, change: ThreadChange) =>
  notifyBoth(deps, change, { practitioner: 'thread.updated', patient: 'message.new' }, ['patient']);

/** Messages were read: `message.read` to both (a read receipt for the writer); the reader's counts moved. */
export const onMessagesRead = (deps: RealtimeDeps, change: ThreadChange & { reader: ConnectedRole }) =>
  notifyBoth(deps, change, { practitioner: 'message.read', patient: 'message.read' }, [change.reader]);

/** Treated: the practice's untreated count moved. */
export const onThreadTreated = (deps: RealtimeDeps, change: ThreadChange) =>
  notifyBoth(deps, change, { practitioner: 'thread.updated', patient: 'thread.updated' }, ['practitioner']);

/**
 * Archived, or a message retracted: the thread looks different to both. A retracted message was unread
 * by the patient (only those can be retracted): their count moved.
 */
export const onThreadUpdated = (
  deps: RealtimeDeps,
  change: ThreadChange,
  countsMovedFor: readonly ConnectedRole[],
) => notifyBoth(deps, change, { practitioner: 'thread.updated', patient: 'thread.updated' }, countsMovedFor);
