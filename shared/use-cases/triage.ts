/**
 * Triage (SPEC 11.2): who in the practice handles a thread. The assignee is the
 * practitioner or one of their current delegates; the open inbox is listed by
 * assignee from gsi7 (docs/data-model.md).
 */
import { withOptimisticRetry } from '../db/transactions.ts';
import { ValidationError } from '../domain/errors.ts';
import { ZERO_DELTA } from '../domain/types.ts';
import { practitionerThreadView } from '../domain/views.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { loadOwnedThread } from './threads-common.ts';

/** 400 unless `assigneeId` is null, the practitioner, or an assistant they delegate to now. */
const checkAssignee = async (
  deps: Pick<Deps, 'delegates'>,
  practitionerId: string,
  assigneeId: string | null,
) => {
  if (assigneeId === null || assigneeId === practitionerId) return;
  if (await deps.delegates.grantOf(practitionerId, assigneeId)) return;
  throw new ValidationError('The assignee must be the practitioner or one of their delegates', [
    { path: ['assigneeId'], code: 'not_a_delegate', message: 'Not the practitioner nor a current delegate' },
  ]);
};

export const assignThread = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  assigneeId: string | null,
) => {
  const thread = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    await checkAssignee(deps, actor.practitionerId, assigneeId);
    if ((before.assigneeId ?? null) === assigneeId) return before;
    const after = { ...before, assigneeId };
    await deps.threads.commit({
      before,
      after,
      guard: 'none',
      delta: ZERO_DELTA,
      events: [],
    });
    return after;
  });
  return { thread: practitionerThreadView(thread) };
};
