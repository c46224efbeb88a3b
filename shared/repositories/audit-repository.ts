import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { auditKeys } from '../db/keys.ts';
import { queryPage } from '../db/query-page.ts';
import { cancellationCodes, OptimisticConflict, type TransactItem } from '../db/transactions.ts';
import { type AuditActorRole, type AuditEntry, type AuditSubject, auditExpiresAt } from '../domain/audit.ts';
import type { ExtraTransactItem } from './thread-repository.ts';

const ENTITY = 'AuditEntry';
const SCHEMA_VERSION = 1;

const partitionOf = (subject: AuditSubject): string =>
  subject.kind === 'thread'
    ? auditKeys.threadPartition(subject.threadId)
    : subject.kind === 'practitioner'
      ? auditKeys.practitionerPartition(subject.practitionerId)
      : auditKeys.patientPartition(subject.patientId);

/** The stored item: ids, verbs and times only (the entry type has no field for text). */
export const toAuditItem = (entry: AuditEntry, entryId: string) => ({
  ...auditKeys.entry(partitionOf(entry.subject), entry.at, entryId),
  entity: ENTITY,
  schemaVersion: SCHEMA_VERSION,
  subject: entry.subject,
  action: entry.action,
  actorRole: entry.actor.role,
  actorId: entry.actor.id,
  ...(entry.actor.onBehalfOf !== undefined && { actorOnBehalfOf: entry.actor.onBehalfOf }),
  at: entry.at,
  requestId: entry.requestId,
  objects: entry.objects,
  ...(entry.details && { details: entry.details }),
  expiresAt: auditExpiresAt(entry.at),
});

const fromAuditItem = (item: Record<string, unknown>): AuditEntry => ({
  subject: item.subject as AuditSubject,
  action: item.action as AuditEntry['action'],
  actor: {
    role: item.actorRole as AuditActorRole,
    id: item.actorId as string,
    ...(typeof item.actorOnBehalfOf === 'string' && { onBehalfOf: item.actorOnBehalfOf }),
  },
  at: item.at as string,
  requestId: item.requestId as string,
  objects: (item.objects as AuditEntry['objects']) ?? {},
  ...(item.details !== undefined && { details: item.details as AuditEntry['details'] }),
});

/** Append-only: a Put that can only create, never overwrite. */
const putInput = (db: Db, entry: AuditEntry, entryId: string) => ({
  TableName: db.tableName,
  Item: toAuditItem(entry, entryId),
  ConditionExpression: 'attribute_not_exists(pk)',
});

export const createAuditRepository = (db: Db) => ({
  /** The entry as one more item of a thread change's transaction: audited exactly when it commits. */
  transactItem(entry: AuditEntry, entryId: string): ExtraTransactItem {
    return {
      item: { Put: putInput(db, entry, entryId) },
      // Only possible if an entry id were reused: retry the whole change with fresh ids.
      onConditionFailed: () => new OptimisticConflict(),
    };
  },

  /** Entries written on their own (a read, an email sent, a change outside a thread). */
  async record(entries: Array<{ entry: AuditEntry; entryId: string }>): Promise<void> {
    await Promise.all(
      entries.map(({ entry, entryId }) => db.client.send(new PutCommand(putInput(db, entry, entryId)))),
    );
  },

  /**
   * Entries written only if `guard` (a ConditionCheck) holds, in one transaction:
   * false, and nothing written, when it does not. Lets a read be audited beside
   * the read itself (one wave of calls) without recording a view that was refused.
   */
  async recordIf(
    guard: TransactItem,
    entries: Array<{ entry: AuditEntry; entryId: string }>,
  ): Promise<boolean> {
    try {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            guard,
            ...entries.map(({ entry, entryId }) => ({ Put: putInput(db, entry, entryId) })),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  },

  /** A thread's trail, oldest first (sk `<at>#<ulid>`), one page per Query. */
  async listThreadTrail(
    threadId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    return queryPage(
      db,
      { partition: { attribute: 'pk', value: auditKeys.threadPartition(threadId) } },
      page,
      fromAuditItem,
    );
  },
});

export type AuditRepository = ReturnType<typeof createAuditRepository>;
