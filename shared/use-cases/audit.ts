/**
 * Wiring of the audit trail (rules in shared/domain/audit.ts).
 *
 * - Thread changes: `withAuditContext` gives each invocation a Deps whose thread
 *   repository adds the change's audit entries to the change's own transaction.
 *   Every writer of threads (routes, automations, deferred sends, group
 *   communications) is covered without doing anything, and an entry exists
 *   exactly when its change committed: a refused or lost write leaves none.
 * - Reads and side effects (a practitioner viewing a thread, an email sent, a
 *   change outside any thread): `recordAudit`, a conditional Put of its own.
 */

import type { TransactItem } from '../db/transactions.ts';
import type { AuditActor, AuditEvent, AuditSubject } from '../domain/audit.ts';
import { auditEntryView, threadChangeEvents } from '../domain/audit.ts';
import type { MessageAuthor } from '../domain/types.ts';
import { logger, metrics } from '../runtime/logger.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { loadOwnedThread } from './threads-common.ts';

export interface AuditContext {
  actor: AuditActor;
  /** API Gateway request id, or the EventBridge event id of a delivery or schedule. */
  requestId: string;
  /**
   * An assistant writing for the practitioner (SPEC 11.2): the `author` the
   * practice's messages of this invocation carry (the audit keeps the id only).
   */
  author?: MessageAuthor;
  /**
   * The request that started it all, carried by every event this invocation causes
   * (their metadata.correlationId): the request id over HTTP, the causing event's
   * correlation id in a consumer. Defaults to `requestId`.
   */
  correlationId?: string;
}

/**
 * Deps for one invocation: thread changes carry their audit entries. Partial
 * deps (unit tests of the HTTP adapter) are returned as they are.
 */
export const withAuditContext = (deps: Deps, context: AuditContext): Deps => {
  const { threads, audit } = deps;
  if (!threads || !audit) return deps;
  const outbox = deps.outbox.correlatedWith(context.correlationId ?? context.requestId);
  return {
    ...deps,
    auditContext: context,
    outbox,
    threads: {
      ...threads,
      commit: (change) => {
        const at = deps.clock.now().toISOString();
        const events = threadChangeEvents({
          before: change.before,
          after: change.after,
          ...(change.message && { message: change.message }),
          hints: (change.extraItems ?? []).flatMap((extra) => (extra.audit ? [extra.audit] : [])),
        });
        const entries = events.map((event) =>
          audit.transactItem(
            {
              ...event,
              subject: { kind: 'thread', threadId: change.after.id },
              actor: context.actor,
              at,
              requestId: context.requestId,
            },
            deps.ids.next(),
          ),
        );
        return threads.commit({
          ...change,
          extraItems: [...(change.extraItems ?? []), ...entries],
          outbox: change.outbox ?? outbox,
        });
      },
    },
  };
};

/**
 * Writes entries outside any transaction, as the invocation's actor (or the
 * given one). Throws when the write fails: a caller that must not fail after
 * its change committed uses `recordAuditAfterCommit`. Without an audit context
 * (use cases called directly by tests) nothing is written.
 */
export const recordAudit = async (
  deps: Pick<Deps, 'audit' | 'auditContext' | 'clock' | 'ids'>,
  subject: AuditSubject,
  events: AuditEvent[],
): Promise<void> => {
  const context = deps.auditContext;
  if (!context || events.length === 0) return;
  const at = deps.clock.now().toISOString();
  await deps.audit.record(
    events.map((event) => ({
      entry: { ...event, subject, actor: context.actor, at, requestId: context.requestId },
      entryId: deps.ids.next(),
    })),
  );
};

/**
 * `recordAudit` only if `guard` holds (a ConditionCheck, in the same transaction):
 * false when it does not, and nothing was written. Without an audit context, true.
 */
export const recordAuditIf = async (
  deps: Pick<Deps, 'audit' | 'auditContext' | 'clock' | 'ids'>,
  guard: TransactItem,
  subject: AuditSubject,
  events: AuditEvent[],
): Promise<boolean> => {
  const context = deps.auditContext;
  if (!context || events.length === 0) return true;
  const at = deps.clock.now().toISOString();
  return deps.audit.recordIf(
    guard,
    events.map((event) => ({
      entry: { ...event, subject, actor: context.actor, at, requestId: context.requestId },
      entryId: deps.ids.next(),
    })),
  );
};

/**
 * For entries about something that already happened and cannot be undone (a
 * committed change, a sent email): a failure must not turn it into an error, so
 * it is logged (ids only) and counted (`AuditWriteFailed`, alarmed).
 */
export const recordAuditAfterCommit = async (
  deps: Pick<Deps, 'audit' | 'auditContext' | 'clock' | 'ids'>,
  subject: AuditSubject,
  events: AuditEvent[],
): Promise<void> => {
  try {
    await recordAudit(deps, subject, events);
  } catch (error) {
    metrics.addMetric('AuditWriteFailed', 'Count', events.length);
    logger.error('Audit entry could not be written', {
      subject,
      actions: events.map((e) => e.action),
      errorName: (error as Error)?.name,
    });
  }
};

/**
 * GET /v1/practitioner/threads/{threadId}/audit: the thread's trail, oldest first, to its practitioner only.
 * The read itself is audited (`audit.viewed`, on the same trail): one Put after the page's Query succeeded
 * (so a refused read records nothing, and a page never shows its own read); if it cannot be written
 * nothing is shown.
 */
export const threadAuditTrail = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  page: { limit: number; cursor?: string },
) => {
  await loadOwnedThread(deps, threadId, actor);
  // After the page's Query, not beside it: a refused read (a bad cursor is a 400) must record nothing.
  const result = await deps.audit.listThreadTrail(threadId, page);
  await recordAudit(deps, { kind: 'thread', threadId }, [
    {
      action: 'audit.viewed',
      objects: { threadId, practitionerId: actor.practitionerId },
      ...(page.cursor && { details: { paged: true } }),
    },
  ]);
  return { items: result.items.map(auditEntryView), nextCursor: result.nextCursor };
};
