import { NotFound } from '../domain/errors.ts';
import type { Message, Thread } from '../domain/types.ts';
import type { Deps } from './deps.ts';

export type Owner = { practitionerId: string } | { patientId: string };

/** Someone else's thread is indistinguishable from a missing one. */
export const isOwnedBy = (thread: Thread, owner: Owner): boolean =>
  'practitionerId' in owner
    ? thread.practitionerId === owner.practitionerId
    : thread.patientId === owner.patientId;

export const loadOwnedThread = async (deps: Pick<Deps, 'threads'>, threadId: string, owner: Owner) => {
  const thread = await deps.threads.getThread(threadId);
  if (!thread || !isOwnedBy(thread, owner)) throw new NotFound('Thread');
  return thread;
};

export const loadOwnedThreadWithMessages = async (
  deps: Pick<Deps, 'threads'>,
  threadId: string,
  owner: Owner,
): Promise<{ thread: Thread; messages: Message[] }> => {
  const found = await deps.threads.getThreadWithMessages(threadId);
  if (!found || !isOwnedBy(found.thread, owner)) throw new NotFound('Thread');
  return found;
};

export const newMessage = (
  deps: Pick<Deps, 'ids'>,
  thread: Thread,
  fields: Pick<Message, 'sender' | 'body' | 'sentAt' | 'replyPolicy'>,
): Message => ({
  id: deps.ids.next(),
  threadId: thread.id,
  practitionerId: thread.practitionerId,
  patientId: thread.patientId,
  ...fields,
});
