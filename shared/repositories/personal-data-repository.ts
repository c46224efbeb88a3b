import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import {
  keys,
  PATIENT_EXPORT_SK_PREFIX,
  PATIENT_RECORD_REF_SK_PREFIX,
  personalDataKeys,
} from '../db/keys.ts';
import { queryAll } from '../db/query-all.ts';
import { isConditionalCheckFailed, type TransactItem, writeWith } from '../db/transactions.ts';
import { EXPORT_RETENTION_MS, expiresAtAfter } from '../domain/retention.ts';

/**
 * A patient's export (SPEC 11.6): `PAT#<pid> / EXPORT#<exportId>`, ids, status,
 * times and the object's key; never its content. TTL deletes it with the object
 * (7 days, the bucket's lifecycle rule).
 */
export type ExportStatus = 'pending' | 'ready';

export interface PatientExport {
  exportId: string;
  patientId: string;
  status: ExportStatus;
  requestedAt: string;
  readyAt: string | null;
  objectKey: string | null;
}

const fromItem = (item: Record<string, unknown>): PatientExport => ({
  exportId: item.exportId as string,
  patientId: item.patientId as string,
  status: item.status === 'ready' ? 'ready' : 'pending',
  requestedAt: item.requestedAt as string,
  readyAt: typeof item.readyAt === 'string' ? item.readyAt : null,
  objectKey: typeof item.objectKey === 'string' ? item.objectKey : null,
});

/** The object's key in the export bucket: ids only. */
export const exportObjectKey = (patientId: string, exportId: string) =>
  `exports/${patientId}/${exportId}.json`;

/**
 * The patient's personal-data requests (SPEC 11.6; ADR 0013): exports, the erasure
 * marker, and what erasure reads and writes of the records. Built only by the
 * functions that serve these requests (shared/runtime/personal-data-ports.ts):
 * the other functions' bundles never carry it.
 */
export const createPersonalDataRepository = (db: Db) => {
  /** Every item of the patient's partition under a sort-key prefix, all 1 MB pages (no Scan). */
  const itemsUnder = (
    patientId: string,
    prefix: string,
    options: { consistent?: boolean } = {},
  ): Promise<Record<string, unknown>[]> =>
    queryAll(
      db,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': personalDataKeys.patientPartition(patientId),
          ':prefix': prefix,
        },
        ...(options.consistent && { ConsistentRead: true }),
      },
      (item) => item,
    );

  return {
    /** The pending export and its event, in one transaction (the worker builds it). */
    async create(patientId: string, exportId: string, now: string, withItems: readonly TransactItem[]) {
      await writeWith(
        db,
        {
          Put: {
            TableName: db.tableName,
            Item: {
              ...personalDataKeys.export(patientId, exportId),
              entity: 'PatientExport',
              schemaVersion: 1,
              exportId,
              patientId,
              status: 'pending',
              requestedAt: now,
              expiresAt: expiresAtAfter(EXPORT_RETENTION_MS, now),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        withItems,
      );
    },

    async get(patientId: string, exportId: string): Promise<PatientExport | null> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: personalDataKeys.export(patientId, exportId),
          ConsistentRead: true,
        }),
      );
      return Item ? fromItem(Item) : null;
    },

    /** The file is stored: ready (only once, and only while the export still exists: an erasure may have come first). */
    async markReady(patientId: string, exportId: string, objectKey: string, now: string): Promise<boolean> {
      try {
        await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: personalDataKeys.export(patientId, exportId),
            UpdateExpression: 'SET #status = :ready, readyAt = :now, objectKey = :objectKey',
            ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':ready': 'ready',
              ':pending': 'pending',
              ':now': now,
              ':objectKey': objectKey,
            },
          }),
        );
        return true;
      } catch (error) {
        if ((error as { name?: string })?.name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },

    /** Every export of the patient (a handful: one Query). */
    async list(patientId: string): Promise<PatientExport[]> {
      return (await itemsUnder(patientId, PATIENT_EXPORT_SK_PREFIX, { consistent: true })).map(fromItem);
    },

    /** The emails sent to the patient (one marker per practitioner message): ids and times only. */
    async notificationsOf(
      patientId: string,
    ): Promise<{ messageId: string; threadId: string | null; sentAt: string | null }[]> {
      return (await itemsUnder(patientId, 'NOTIFIED#')).flatMap((item) =>
        typeof item.lastSentAt === 'string'
          ? [
              {
                messageId: String(item.sk).slice('NOTIFIED#'.length),
                threadId: typeof item.threadId === 'string' ? item.threadId : null,
                sentAt: item.lastSentAt,
              },
            ]
          : [],
      );
    },

    /**
     * The patient's erasure marker (`PAT#<pid> / ERASURE`): the first erasure's time,
     * kept by a repeat (`first` false) so the answer is the same.
     */
    async markErased(patientId: string, now: string): Promise<{ erasedAt: string; first: boolean }> {
      const { Attributes } = await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: personalDataKeys.erasure(patientId),
          UpdateExpression:
            'SET entity = :entity, patientId = :patientId, erasedAt = if_not_exists(erasedAt, :now), lastRequestAt = :now',
          ExpressionAttributeValues: { ':entity': 'PatientErasure', ':patientId': patientId, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const erasedAt = Attributes?.erasedAt as string;
      return { erasedAt, first: erasedAt === now };
    },

    /** The practitioners holding a record of the patient (back-references, one Query per 1 MB page). */
    async practitionersOf(patientId: string): Promise<string[]> {
      return (await itemsUnder(patientId, PATIENT_RECORD_REF_SK_PREFIX)).map(
        (item) => item.practitionerId as string,
      );
    },

    /**
     * Erasure of the contact data one record holds (names, email): removed, the ids,
     * attributes and messaging flags kept (a blocked patient stays blocked).
     * `agendaSyncedAt` moves to the erasure, so a replayed or redelivered
     * AppointmentBooked from before it cannot bring the names back; a later booking
     * can (a new appointment is a new collection). `erasedAt` is kept across repeats:
     * the same answer twice. null when there is no record.
     */
    async eraseContactData(
      practitionerId: string,
      patientId: string,
      now: string,
    ): Promise<{ erasedAt: string } | null> {
      try {
        const { Attributes } = await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.patientRecord(practitionerId, patientId),
            UpdateExpression:
              'REMOVE firstName, lastName, email SET erasedAt = if_not_exists(erasedAt, :now), agendaSyncedAt = :agendaAt, updatedAt = :now ADD controlsVersion :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': now, ':agendaAt': now, ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { erasedAt: Attributes?.erasedAt as string };
      } catch (error) {
        if (isConditionalCheckFailed(error)) return null;
        throw error;
      }
    },

    async delete(patientId: string, exportId: string): Promise<void> {
      await db.client.send(
        new DeleteCommand({ TableName: db.tableName, Key: personalDataKeys.export(patientId, exportId) }),
      );
    },
  };
};

export type PersonalDataRepository = ReturnType<typeof createPersonalDataRepository>;
